/**
 * The API rows' same-run baseline: a bare Hono hello-world on @hono/node-server, in its own process
 * as mcd is, on a free loopback port. Given a file, it also serves that file's bytes as JSON at
 * /same (read once), to tell the cost of the answer's size from the cost of mcd's own path.
 * Prints the port on stdout once it listens.
 */
import { readFileSync } from "node:fs";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const same = process.argv[2] ? readFileSync(process.argv[2], "utf8") : "{}";
const app = new Hono();
app.get("/", (c) => c.text("Hello Hono!"));
app.get("/same", (c) => c.body(same, 200, { "content-type": "application/json" }));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => console.log(info.port));

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { parseResponse, plainRequest } from "./plain-http.ts";

let dir: string;
let socket: string;
let server: http.Server;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "plain-http-"));
  socket = path.join(dir, "s.sock");
  // Node's own HTTP server, answering in each of the ways a body can be framed.
  server = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      if (request.url === "/chunked") {
        response.write('{"a":');
        setTimeout(() => response.end('"é€"}'), 10);
      } else if (request.url === "/empty") {
        response.writeHead(204).end();
      } else if (request.url === "/fail") {
        response.writeHead(404, { "content-type": "application/problem+json" }).end('{"code":"app.not_found"}');
      } else {
        const echo = JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body });
        response.writeHead(200, { "content-length": Buffer.byteLength(echo) }).end(echo);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

after(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a request with a JSON body reaches the server whole; the answer by content-length", async () => {
  const body = JSON.stringify({ name: "wéb" });
  const response = await plainRequest(socket, "POST", "/v1/apps?x=1", { authorization: "Bearer k" }, body);
  assert.equal(response.statusCode, 200);
  const echo = JSON.parse(response.body);
  assert.equal(echo.method, "POST");
  assert.equal(echo.url, "/v1/apps?x=1");
  assert.equal(echo.body, body);
  assert.equal(echo.headers.authorization, "Bearer k");
  assert.equal(echo.headers["content-length"], String(Buffer.byteLength(body)));
});

test("a POST without a body says so (content-length: 0, as undici sends it); a GET sends none", async () => {
  const post = JSON.parse((await plainRequest(socket, "POST", "/v1/apps/web/restart", {})).body);
  assert.equal(post.headers["content-length"], "0");
  const get = JSON.parse((await plainRequest(socket, "GET", "/v1/apps", {})).body);
  assert.equal(get.headers["content-length"], undefined);
});

test("a chunked answer is put back together (multi-byte characters across chunks)", async () => {
  const response = await plainRequest(socket, "GET", "/chunked", {});
  assert.deepEqual(JSON.parse(response.body), { a: "é€" });
});

test("an empty answer and an error answer keep their status", async () => {
  assert.deepEqual(await plainRequest(socket, "DELETE", "/empty", {}), { statusCode: 204, body: "" });
  assert.deepEqual(await plainRequest(socket, "GET", "/fail", {}), { statusCode: 404, body: '{"code":"app.not_found"}' });
});

test("no daemon: the socket's error; a header that would split the request is refused", async () => {
  await assert.rejects(plainRequest(path.join(dir, "none.sock"), "GET", "/", {}), { code: "ENOENT" });
  await assert.rejects(plainRequest(socket, "GET", "/", { authorization: "Bearer a\r\nx-evil: 1" }), /invalid header/);
});

test("an answer cut short is an error, not a shorter body", () => {
  assert.throws(() => parseResponse(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}")), { code: "ECONNRESET" });
  assert.throws(() => parseResponse(Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab")), { code: "ECONNRESET" });
  assert.throws(() => parseResponse(Buffer.from("HTTP/1.1 200 OK\r\n")), { code: "ECONNRESET" });
  assert.deepEqual(parseResponse(Buffer.from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2;x=y\r\nab\r\n0\r\n\r\n")), {
    statusCode: 200,
    body: "ab",
  });
});

import assert from "node:assert/strict";
import http from "node:http";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf } from "./harness/docker.ts";
import { curl, eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE, SAMPLE_IMAGE } from "./harness/paths.ts";

describe("bad input: one clear message, a non-zero exit, nothing left behind", () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
  });
  after(() => daemon.destroy());

  async function assertNothingLeft(): Promise<void> {
    assert.deepEqual(await containersOf(daemon.prefix), [], "no container is left");
    const state = await daemon.persistedState<{ apps: unknown[] }>();
    assert.deepEqual(state.apps, [], "no app entry is left in the state");
  }

  test("an unknown image names the image and how to get it", async () => {
    const result = await mc(["deploy", "ghost", "--image", "minicloud/does-not-exist:1", "--port", "80", "--json"], daemon.env);
    assert.equal(result.code, 2);
    const error = errorOf(result);
    assert.equal(error.code, "invalid_input");
    assert.match(error.message, /minicloud\/does-not-exist:1 was not found/);
    assert.match(error.message, /docker build/);
    await assertNothingLeft();
  });

  test("an image that exits at once is reported with its exit code and last log lines", async () => {
    const client = daemon.client();
    try {
      await assert.rejects(
        client.apps.deploy({ name: "crasher", image: BASE_IMAGE, command: ["sh", "-c", "echo boom-before-exit; exit 3"] }),
        (error: Error & { code?: string }) => {
          assert.equal(error.code, "unhealthy");
          assert.match(error.message, /exited with code 3/);
          assert.match(error.message, /boom-before-exit/);
          return true;
        },
      );
    } finally {
      await client.close();
    }
    const viaCli = await mc(["deploy", "quitter", "--image", BASE_IMAGE, "--port", "80"], daemon.env);
    assert.equal(viaCli.code, 1);
    assert.match(viaCli.stderr, /exited with code 0 before it became healthy/);
    await assertNothingLeft();
  });

  test("a port the image does not listen on says so and suggests --port", async () => {
    const result = await mc(["deploy", "wrongport", "--image", SAMPLE_IMAGE, "--port", "9999", "--json"], daemon.env);
    assert.equal(result.code, 1);
    const error = errorOf(result);
    assert.equal(error.code, "unhealthy");
    assert.match(error.message, /did not answer HTTP on port 9999/);
    assert.match(error.message, /--port/);
    await assertNothingLeft();
    // Its host was routed while it started; the failed first deploy takes the route with it.
    const page = await curl(daemon.url("wrongport"));
    assert.equal(page.status, 404);
    assert.match(page.body, /No app answers at this address/);
  });

  test("invalid app names are rejected before any request (exit 2)", async () => {
    for (const name of ["Upper", "has.dot", "has_underscore", "trail-", "a".repeat(33), "9start", "white space", "slash/name"]) {
      const result = await mc(["deploy", name, "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], {
        ...daemon.env,
        MC_SOCKET: "/nonexistent/mcd.sock",
      });
      assert.equal(result.code, 2, `${name}: ${result.stderr}`);
      assert.equal(errorOf(result).code, "invalid_input");
      assert.match(errorOf(result).message, /lowercase letters/);
    }
    // Checked by the daemon with the shared schemas (the CLI loads no zod for an image deploy): still
    // exit 2, and the message names the field.
    for (const [args, field] of [
      [["--memory", "1e9"], /memory/],
      [["--memory", "-1"], /memory/],
      [["--cpus", "0.0001"], /cpus/],
      [["--cpus", "lots"], /cpus/],
      [["--count", "-1"], /count/],
      [["--env", "NOEQUALS"], /--env/],
      [["--health-path", "no-slash"], /healthPath/],
    ] as const) {
      const result = await mc(["deploy", "okname", "--image", SAMPLE_IMAGE, "--port", "8080", ...args], daemon.env);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, /Error: /);
      assert.match(result.stderr, field, args.join(" "));
    }
    await assertNothingLeft();
  });

  test("the daemon rejects what the CLI would have caught, and raw Docker options", async () => {
    const response = await fetch(`${daemon.tcpUrl}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${await daemon.adminKey()}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Bad.Name", image: SAMPLE_IMAGE, port: 8080, Privileged: true, HostConfig: { Binds: ["/:/host"] } }),
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get("content-type"), "application/problem+json");
    const problem = (await response.json()) as { code: string; errors: { field: string }[] };
    assert.equal(problem.code, "invalid_input");
    const fields = problem.errors.map((e) => e.field);
    assert.ok(fields.includes("name"));
    assert.ok(
      fields.some((f) => f === "request" || f.includes("Privileged")),
      JSON.stringify(problem),
    );
    await assertNothingLeft();
  });

  test("image references the engine would reject and env values with NUL are refused as input, never a 500", async () => {
    for (const image of ["l:", "n_", "30gfai@"]) {
      const cli = await mc(["deploy", "fuzz", "--image", image], daemon.env);
      assert.equal(cli.code, 2, `mc refuses ${image} before a request: ${cli.stderr}`);
      const response = await fetch(`${daemon.tcpUrl}/v1/apps`, {
        method: "POST",
        headers: { authorization: `Bearer ${await daemon.adminKey()}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "fuzz", image }),
      });
      assert.equal(response.status, 400, image);
      assert.match(((await response.json()) as { detail: string }).detail, /image: must be an image reference/);
    }
    const nul = await fetch(`${daemon.tcpUrl}/v1/apps`, {
      method: "POST",
      headers: { authorization: `Bearer ${await daemon.adminKey()}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "fuzz", image: SAMPLE_IMAGE, env: { A: "x\u0000y" } }),
    });
    assert.equal(nul.status, 400);
    assert.match(((await nul.json()) as { detail: string }).detail, /env\.A: must not contain a NUL byte/);
    // fetch refuses to send TRACE; node:http sends it as a client would.
    const trace = await new Promise<{ status: number; allow: string }>((resolve, reject) => {
      const request = http.request(`${daemon.tcpUrl}/v1/apps`, { method: "TRACE" }, (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, allow: String(response.headers.allow ?? "") });
      });
      request.on("error", reject);
      request.end();
    });
    assert.deepEqual(
      { status: trace.status, allowsGet: /GET/.test(trace.allow) },
      { status: 405, allowsGet: true },
      "a wrong method is 405, not 404",
    );
    const put = await fetch(`${daemon.tcpUrl}/v1/events`, {
      method: "PUT",
      headers: { authorization: `Bearer ${await daemon.adminKey()}` },
    });
    assert.deepEqual(
      { status: put.status, allow: put.headers.get("allow") },
      { status: 405, allow: "GET" },
      "a path the API has, with a method it does not answer there",
    );
    await assertNothingLeft();
  });

  test("deploying an existing name is a new release of that app, never a second app", async () => {
    const first = await mc(["deploy", "dup", "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], daemon.env);
    assert.equal(first.code, 0, first.stderr);
    const second = await mc(["deploy", "dup", "--image", SAMPLE_IMAGE, "--port", "8080", "--json"], daemon.env);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(json<{ release: number }>(second.stdout).release, 2);
    const replaced = await eventually(
      () => containersOf(daemon.prefix, ["minicloud.app=dup"]),
      (list) => list.length === 1,
      10_000,
    );
    assert.equal(replaced.length, 1, "the first release's instance was replaced, not kept beside the new one");
    const url = json<{ url: string }>(second.stdout).url;
    assert.equal((await curl(url)).status, 200);
    assert.equal((await mc(["apps", "destroy", "dup", "--yes"], daemon.env)).code, 0);
  });

  test("a missing or wrong API key over TCP is unauthorized", async () => {
    const tcp = { ...daemon.env, MC_HOST: daemon.tcpUrl };
    const missing = await mc(["apps", "list", "--json"], tcp);
    assert.equal(missing.code, 1);
    assert.equal(errorOf(missing).code, "unauthorized");
    assert.match(errorOf(missing).message, /API key is required/);

    const wrong = await mc(["apps", "list", "--json"], { ...tcp, MC_API_KEY: "mck_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    assert.equal(wrong.code, 1);
    assert.equal(errorOf(wrong).code, "unauthorized");

    const right = await mc(["apps", "list", "--json"], { ...tcp, MC_API_KEY: await daemon.adminKey() });
    assert.equal(right.code, 0, right.stderr);
  });

  test("a daemon that is not running is named, with the command that starts it", async () => {
    const result = await mc(["apps", "list"], { ...daemon.env, MC_SOCKET: path.join(daemon.dir, "nobody-here.sock") });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /daemon not reachable at unix:\/\/.*nobody-here\.sock/);
    assert.match(result.stderr, /mc daemon start/);
  });
});

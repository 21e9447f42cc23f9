import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { eventually } from "./harness/http.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

/** Receivers on loopback need private targets allowed; a short attempt time limit keeps the hang test short. */
const SETTINGS = { MC_WEBHOOK_ALLOW_PRIVATE: "true", MC_WEBHOOK_TIMEOUT: "2" };

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Created {
  id: string;
  secret: string;
  url: string;
  events: string[];
}

interface DeliveryJson {
  id: string;
  webhook: string;
  event: string;
  state: string;
  attempts: { status: number | null; error: string | null }[];
}

describe("webhooks: signed, retried, time-bound deliveries of a tenant's events", () => {
  let daemon: TestDaemon;
  let other: TestTenant;
  let receiver: http.Server;
  let base = "";
  const received: Received[] = [];
  /** Requests of /hang, answered when the test ends. */
  const hanging: http.ServerResponse[] = [];

  before(async () => {
    receiver = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        received.push({ path: request.url ?? "", headers: request.headers, body });
        if (request.url === "/hang") return void hanging.push(response);
        response.statusCode = request.url === "/fail" ? 500 : 200;
        response.end("ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    daemon = await TestDaemon.create();
    await daemon.start(SETTINGS);
    other = await createTenant(daemon, "other");
  });

  after(async () => {
    for (const response of hanging) response.destroy();
    receiver?.closeAllConnections();
    await new Promise((resolve) => receiver?.close(resolve));
    await daemon?.destroy();
  });

  const add = async (path: string, events: string, env = daemon.env): Promise<Created> => {
    const result = await mc(["webhooks", "add", `${base}${path}`, "--events", events, "--json"], env);
    assert.equal(result.code, 0, result.stderr);
    return json<Created>(result.stdout);
  };
  const deliveries = async (id?: string): Promise<DeliveryJson[]> => {
    const result = await mc(["webhooks", "deliveries", ...(id ? [id] : []), "--json"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    return json<{ deliveries: DeliveryJson[] }>(result.stdout).deliveries;
  };

  test("a crash is delivered, signed with the secret shown once at add", async () => {
    const hook = await add("/ok", "deploy.failed,instance.crashed,app.crash_looping,quota.rejected");
    assert.match(hook.secret, /^whsec_/);
    const listed = await mc(["webhooks", "list", "--json"], daemon.env);
    assert.ok(!listed.stdout.includes(hook.secret), "the secret is not shown again");

    const client = daemon.client();
    try {
      await client.apps
        .deploy({ name: "crasher", image: BASE_IMAGE, command: ["sh", "-c", "echo going down; sleep 2; exit 1"] })
        .catch(() => undefined);
    } finally {
      await client.close();
    }
    const delivery = await eventually(
      async () => received.find((r) => r.path === "/ok"),
      (found) => found !== undefined,
      60_000,
    );
    assert.ok(delivery);
    const event = json<{ type: string; tenant: string; app: string }>(delivery.body);
    assert.ok(["instance.crashed", "deploy.failed", "app.crash_looping"].includes(event.type), event.type);
    assert.equal(event.tenant, "default");
    assert.equal(delivery.headers["x-minicloud-event"], event.type);
    const expected = `sha256=${createHmac("sha256", hook.secret).update(delivery.body).digest("hex")}`;
    const given = String(delivery.headers["x-minicloud-signature"]);
    assert.ok(given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected)), "the HMAC verifies");
    const forged = createHmac("sha256", "not-the-secret").update(delivery.body).digest("hex");
    assert.notEqual(given, `sha256=${forged}`);

    const seen = await eventually(
      () => deliveries(hook.id),
      (list) => list.some((d) => d.state === "delivered"),
    );
    assert.ok(seen.some((d) => d.state === "delivered" && d.attempts[0]?.status === 200));
  });

  test("a receiver that answers 500 is retried with backoff, visibly", async () => {
    const hook = await add("/fail", "deploy.failed");
    const result = await mc(["webhooks", "test", hook.id, "--json"], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    const first = json<DeliveryJson>(result.stdout);
    assert.equal(first.state, "pending");
    assert.equal(first.attempts[0]?.status, 500);
    const retried = await eventually(
      () => deliveries(hook.id),
      (list) => (list.find((d) => d.id === first.id)?.attempts.length ?? 0) >= 3,
      30_000,
    );
    const delivery = retried.find((d) => d.id === first.id);
    assert.ok(delivery && delivery.attempts.length >= 3, `attempts: ${JSON.stringify(delivery)}`);
    assert.ok(delivery.attempts.every((a) => a.status === 500));
    assert.ok(received.filter((r) => r.path === "/fail").length >= 3, "the receiver saw each attempt");
    const human = await mc(["webhooks", "deliveries", hook.id], daemon.env);
    assert.match(human.stdout, /answered 500/);
  });

  test("a receiver that hangs: the attempt times out and the daemon keeps answering", async () => {
    const hook = await add("/hang", "deploy.failed");
    const testing = mc(["webhooks", "test", hook.id, "--json"], daemon.env);
    await eventually(
      async () => received.some((r) => r.path === "/hang"),
      (yes) => yes,
    );
    // While the receiver holds the attempt, the API answers.
    const status = await mc(["apps", "list", "--json"], daemon.env);
    assert.equal(status.code, 0, status.stderr);
    const result = await testing;
    assert.equal(result.code, 0, result.stderr);
    const delivery = json<DeliveryJson>(result.stdout);
    assert.equal(delivery.attempts[0]?.status, null);
    assert.match(delivery.attempts[0]?.error ?? "", /timed out/);
  });

  test("URLs at the daemon itself are refused at add; bad events and URLs are bad input", async () => {
    for (const port of [daemon.port, daemon.httpPort, daemon.httpsPort]) {
      const result = await mc(["webhooks", "add", `http://127.0.0.1:${port}/hook`, "--events", "deploy.failed", "--json"], daemon.env);
      assert.equal(result.code, 2, result.stdout);
      assert.equal(errorOf(result).code, "invalid_input");
      assert.match(errorOf(result).message, /daemon's own ports/);
    }
    const metadata = await mc(["webhooks", "add", "http://169.254.169.254/latest", "--events", "deploy.failed", "--json"], daemon.env);
    assert.equal(metadata.code, 2);
    assert.match(errorOf(metadata).message, /link-local/);
    const unknown = await mc(["webhooks", "add", `${base}/ok`, "--events", "deploy.exploded"], daemon.env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--events.*deploy\.exploded/);
    const notUrl = await mc(["webhooks", "add", "ftp://example.com/x", "--events", "deploy.failed"], daemon.env);
    assert.equal(notUrl.code, 2);
  });

  test("webhooks are the tenant's own: another tenant cannot see, test or remove them; add and remove are audited", async () => {
    const hook = await add("/ok", "quota.rejected");
    const theirs = json<{ webhooks: { id: string }[] }>((await mc(["webhooks", "list", "--json"], other.env)).stdout);
    assert.ok(!theirs.webhooks.some((w) => w.id === hook.id));
    for (const args of [
      ["remove", hook.id],
      ["test", hook.id],
      ["deliveries", hook.id],
    ]) {
      const result = await mc(["webhooks", ...args, "--json"], other.env);
      assert.equal(result.code, 1, `${args[0]}: ${result.stdout}`);
      assert.equal(errorOf(result).code, "not_found");
    }
    const removed = await mc(["webhooks", "remove", hook.id], daemon.env);
    assert.equal(removed.code, 0, removed.stderr);
    const mine = json<{ webhooks: { id: string }[] }>((await mc(["webhooks", "list", "--json"], daemon.env)).stdout);
    assert.ok(!mine.webhooks.some((w) => w.id === hook.id));
    const audit = (await mc(["audit", "--json"], daemon.env)).stdout
      .trim()
      .split("\n")
      .map((l) => json<{ action: string; outcome: { status: number } }>(l));
    assert.ok(audit.some((e) => e.action === "POST /v1/webhooks" && e.outcome.status === 201));
    assert.ok(audit.some((e) => e.action === `DELETE /v1/webhooks/${hook.id}` && e.outcome.status === 200));
  });
});

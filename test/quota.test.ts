import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApiError } from "@minicloud/shared";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf } from "./harness/docker.ts";
import { errorOf, json, mc } from "./harness/mc.ts";
import { BASE_IMAGE } from "./harness/paths.ts";
import { createTenant, type TestTenant } from "./harness/tenant.ts";

interface QuotaJson {
  tenant: string;
  limits: { maxInstances: number; maxCpus: number; maxMemory: number; maxStorage: number };
  usage: { instances: number; cpus: number; memory: number; storage: number };
}

const SLEEPER = ["sh", "-c", "exec sleep 3600"];

describe("quotas: atomic reservation, clear refusals, usage vs limits", () => {
  let daemon: TestDaemon;
  let acme: TestTenant;
  before(async () => {
    daemon = await TestDaemon.create();
    await daemon.start();
    acme = await createTenant(daemon, "acme", ["--max-instances", "5", "--max-memory", "2g"]);
  });
  after(() => daemon.destroy());

  test("bad quota values are rejected with the rule (exit 2)", async () => {
    for (const args of [
      ["--max-instances", "-1"],
      ["--max-instances", "1e9"],
      ["--max-instances", "abc"],
      ["--max-instances", "99999999"],
      ["--max-cpus", "0.0001"],
      ["--max-cpus", "-1"],
      ["--max-memory", "1e9"],
      ["--max-memory", "lots"],
      ["--max-storage", "-5g"],
    ]) {
      const result = await mc(["tenants", "quota", "acme", `${args[0]}=${args[1]}`, "--json"], daemon.env);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.equal(errorOf(result).code, "invalid_input");
    }
    const quota = json<QuotaJson>((await mc(["quota", "--json"], acme.env)).stdout);
    assert.equal(quota.limits.maxInstances, 5, "nothing changed");
  });

  test("20 deploys in parallel against a quota of 5 instances: exactly 5 succeed, usage reads 5", async () => {
    const client = acme.client();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          client.apps.deploy({ name: `app${i}`, image: BASE_IMAGE, command: SLEEPER, memory: "64m", cpus: 0.1 }),
        ),
      );
      const fulfilled = results.filter((r) => r.status === "fulfilled");
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      assert.equal(fulfilled.length, 5, JSON.stringify(rejected.map((r) => String(r.reason)).slice(0, 3)));
      assert.equal(rejected.length, 15);
      for (const r of rejected) {
        assert.ok(r.reason instanceof ApiError);
        assert.equal(r.reason.code, "quota_exceeded");
        assert.match(
          r.reason.message,
          /quota exceeded for instances in tenant acme: app\d+ would hold 1 \(it holds 0\), the tenant's other apps hold 5, the limit is 5/,
        );
      }
    } finally {
      await client.close();
    }
    assert.equal((await containersOf(daemon.prefix, ["minicloud.tenant=acme"])).length, 5);
    const quota = json<QuotaJson>((await mc(["quota", "--json"], acme.env)).stdout);
    assert.equal(quota.usage.instances, 5);
    assert.equal(quota.usage.memory, 5 * 64 * 1024 * 1024);
    assert.equal(quota.usage.cpus, 0.5);

    const human = await mc(["quota"], acme.env);
    assert.match(human.stdout, /instances\s+5\s+5/);
  });

  test("a stopped app releases CPU and memory; starting it again is checked against the quota", async () => {
    const { apps } = json<{ apps: { name: string }[] }>((await mc(["apps", "list", "--json"], acme.env)).stdout);
    const [first, second] = apps.map((a) => a.name);
    assert.ok(first && second);
    assert.equal((await mc(["stop", first], acme.env)).code, 0);
    let quota = json<QuotaJson>((await mc(["quota", "--json"], acme.env)).stdout);
    assert.equal(quota.usage.instances, 4);
    assert.equal(quota.usage.memory, 4 * 64 * 1024 * 1024);

    // Fill the freed slot, then starting the stopped app must be refused.
    const filler = await mc(["deploy", "filler", "--image", BASE_IMAGE, "--memory", "64m", "--cpus", "0.1"], acme.env);
    assert.equal(filler.code, 1, "the base image exits at once, so the deploy fails and releases its reservation");
    quota = json<QuotaJson>((await mc(["quota", "--json"], acme.env)).stdout);
    assert.equal(quota.usage.instances, 4, "a failed deploy holds nothing");
    const client = acme.client();
    try {
      await client.apps.deploy({ name: "filler", image: BASE_IMAGE, command: SLEEPER, memory: "64m", cpus: 0.1 });
    } finally {
      await client.close();
    }
    const start = await mc(["start", first, "--json"], acme.env);
    assert.equal(start.code, 1);
    assert.equal(errorOf(start).code, "quota_exceeded");
  });

  test("memory over the limit names memory, the usage, the request and the limit", async () => {
    assert.equal((await mc(["tenants", "quota", "acme", "--max-instances", "50"], daemon.env)).code, 0);
    const result = await mc(["deploy", "big", "--image", BASE_IMAGE, "--memory", "2g", "--json"], acme.env);
    assert.equal(result.code, 1);
    const error = errorOf(result);
    assert.equal(error.code, "quota_exceeded");
    assert.match(
      error.message,
      /quota exceeded for memory in tenant acme: big would hold 2g \(it holds 0\), the tenant's other apps hold 320m, the limit is 2g/,
    );
  });
});

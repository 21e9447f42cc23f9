import assert from "node:assert/strict";
import { rm, stat } from "node:fs/promises";
import path from "node:path";
import { after, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { errorOf, json, mc } from "./harness/mc.ts";

describe("mc login over TCP, with TLS pinning beyond loopback", () => {
  const daemons: TestDaemon[] = [];
  after(async () => {
    for (const daemon of daemons) await daemon.destroy();
  });

  test("login stores a verified host and key (0600); whoami uses them; logout forgets them", async () => {
    const daemon = await TestDaemon.create();
    daemons.push(daemon);
    await daemon.start();
    const env = { XDG_CONFIG_HOME: daemon.env.XDG_CONFIG_HOME };

    const bad = await mc(
      ["login", "--host", daemon.tcpUrl, "--api-key", "mck_abcdefgh_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "--json"],
      env,
    );
    assert.equal(bad.code, 1);
    assert.equal(errorOf(bad).code, "unauthorized");

    const noKey = await mc(["login", "--host", daemon.tcpUrl], env);
    assert.equal(noKey.code, 2, "no prompt without a TTY: the missing key is a usage error");
    assert.match(noKey.stderr, /--api-key is required/);

    const login = await mc(["login", "--host", daemon.tcpUrl, "--api-key", await daemon.adminKey(), "--json"], env);
    assert.equal(login.code, 0, login.stderr);
    const configFile = path.join(daemon.env.XDG_CONFIG_HOME ?? "", "minicloud/config.json");
    assert.equal((await stat(configFile)).mode & 0o777, 0o600);

    const whoami = await mc(["whoami", "--json"], env);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(json(whoami.stdout).transport, "tcp");
    assert.equal(json(whoami.stdout).role, "admin");
    assert.equal(json(whoami.stdout).source, "config");

    assert.equal((await mc(["logout"], env)).code, 0);
    await assert.rejects(stat(configFile));
  });

  test("beyond loopback mcd serves TLS; login pins the fingerprint and refuses a changed certificate", async () => {
    const daemon = await TestDaemon.create({ listenHost: "0.0.0.0" });
    daemons.push(daemon);
    await daemon.start();
    const env = { XDG_CONFIG_HOME: daemon.env.XDG_CONFIG_HOME };
    const key = await daemon.adminKey();

    const unpinned = await mc(["login", "--host", daemon.tcpUrl, "--api-key", key], env);
    assert.equal(unpinned.code, 2);
    const fingerprint = /--fingerprint (SHA256:[0-9A-F:]+)/.exec(unpinned.stderr)?.[1];
    assert.ok(fingerprint, unpinned.stderr);
    const status = await mc(["daemon", "status", "--json"], daemon.env);
    assert.equal(json(status.stdout).tlsFingerprint, fingerprint, "the host shows the fingerprint users pin");

    const wrong = await mc(["login", "--host", daemon.tcpUrl, "--api-key", key, "--fingerprint", `SHA256:${"00:".repeat(31)}00`], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /refusing to log in/);

    const pinned = await mc(["login", "--host", daemon.tcpUrl, "--api-key", key, "--fingerprint", fingerprint, "--json"], env);
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.equal(json(pinned.stdout).fingerprint, fingerprint);
    assert.equal((await mc(["apps", "list"], env)).code, 0);

    // A new certificate (as after a key compromise or a man in the middle) must be refused.
    await daemon.stop();
    await rm(path.join(daemon.dir, "tls"), { recursive: true, force: true });
    await daemon.start();
    const refused = await mc(["apps", "list", "--json"], env);
    assert.equal(refused.code, 1);
    assert.equal(errorOf(refused).code, "certificate_mismatch");
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker, execIn } from "./harness/docker.ts";
import { fixtureImage } from "./harness/fixtures.ts";
import { json, mc } from "./harness/mc.ts";

const PASSWORD = "fixture-secret";
const DB_URL = `postgresql://postgres:${PASSWORD}@db.default.internal:5432/postgres`;
/** Both apps: PostgreSQL's port, a TCP check, time for initdb on a busy machine. */
const TCP = ["--protocol", "tcp", "--port", "5432", "--health-timeout", "60s", "--json"];

describe("fixture images: PostgreSQL from Debian's packages, run by minicloud", () => {
  let daemon: TestDaemon;
  let image: string;
  before(async () => {
    image = await fixtureImage("postgres");
    daemon = await TestDaemon.create();
    await daemon.start();
  });
  after(async () => {
    await daemon?.destroy();
    if (daemon) assert.equal((await containersOf(daemon.prefix)).length, 0, "no container of the test prefix is left");
  });

  /** psql in the client app's container, to the db app by its tenant-internal name. */
  async function psql(sql: string, url = DB_URL) {
    const [client] = await containersOf(daemon.prefix, ["minicloud.app=client"]);
    assert.ok(client, "the client app has a container");
    const result = await execIn(client.Id, ["psql", url, "-v", "ON_ERROR_STOP=1", "-tA", "-c", sql]);
    return { code: result.code, output: result.output.trim() };
  }

  test("a tcp app keeps its rows across mc restart; psql reaches it from another app of the tenant", async () => {
    assert.match(image, /^minicloud-fixture\/postgres:[0-9a-f]{16}$/);
    // No volumes yet: the cluster lives in the container's own writable layer, which a restart keeps.
    const db = await mc(
      ["deploy", "db", "--image", image, ...TCP, "--writable-rootfs", "--env", `POSTGRES_PASSWORD=${PASSWORD}`],
      daemon.env,
    );
    assert.equal(db.code, 0, db.stderr);
    assert.equal(json<{ internalAddress: string }>(db.stdout).internalAddress, "db.default.internal:5432");
    // The client is the same image under the full default hardening (read-only root, only /tmp
    // writable): a throwaway server of its own in /tmp keeps it healthy; psql runs inside it.
    const client = await mc(["deploy", "client", "--image", image, ...TCP, "--env", "PGDATA=/tmp/pgdata"], daemon.env);
    assert.equal(client.code, 0, client.stderr);
    const [clientContainer] = await containersOf(daemon.prefix, ["minicloud.app=client"]);
    assert.ok(clientContainer);
    const { HostConfig } = await docker.getContainer(clientContainer.Id).inspect();
    assert.equal(HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(HostConfig.CapDrop, ["ALL"]);

    const [dbContainer] = await containersOf(daemon.prefix, ["minicloud.app=db"]);
    assert.ok(dbContainer);
    assert.equal((await execIn(dbContainer.Id, ["id", "-u"])).output.trim(), "100", "PostgreSQL runs as the image's postgres user");

    const created = await psql(
      "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'kept'), (2, 'across a restart')",
    );
    assert.equal(created.code, 0, created.output);
    const wrong = await psql("SELECT 1", DB_URL.replace(PASSWORD, "wrong"));
    assert.notEqual(wrong.code, 0, "a wrong password is refused over the network");
    assert.match(wrong.output, /password authentication failed/);

    const restart = await mc(["restart", "db"], daemon.env);
    assert.equal(restart.code, 0, restart.stderr);
    assert.deepEqual(await psql("SELECT id || ':' || body FROM notes ORDER BY id"), { code: 0, output: "1:kept\n2:across a restart" });
    // The stop signal is PostgreSQL's fast shutdown: a clean stop, no crash recovery on the next start.
    const logs = await mc(["logs", "db", "-n", "200"], daemon.env);
    assert.match(logs.stdout, /database system is shut down/);
    assert.doesNotMatch(logs.stdout, /database system was interrupted|automatic recovery/);
  });
});

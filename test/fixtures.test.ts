import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { containersOf, docker, execIn } from "./harness/docker.ts";
import { fixtureImage } from "./harness/fixtures.ts";
import { eventually } from "./harness/http.ts";
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

  test("PostgreSQL keeps its data on a volume: across a redeploy, and back to a snapshot taken under writes", async () => {
    assert.equal((await mc(["volumes", "create", "pg", "--size", "256m"], daemon.env)).code, 0);
    const pgUrl = DB_URL.replace("@db.", "@pg.");
    const pgsql = (sql: string) => psql(sql, pgUrl);
    const deploy = (...extra: string[]) =>
      mc(
        [
          "deploy",
          "pg",
          "--image",
          image,
          ...TCP,
          "--env",
          `POSTGRES_PASSWORD=${PASSWORD}`,
          "--volume",
          "pg:/var/lib/postgresql/data",
          ...extra,
        ],
        daemon.env,
      );
    const first = await deploy();
    assert.equal(first.code, 0, first.stderr);
    assert.equal((await pgsql("CREATE TABLE rows (id int PRIMARY KEY); INSERT INTO rows SELECT generate_series(1, 100)")).code, 0);

    // A redeploy (a new release, a new container) mounts the same data.
    const again = await deploy("--env", "RELEASE=2");
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await pgsql("SELECT count(*) FROM rows")).output, "100");

    // Under steady writes (one committed row after another), take a snapshot.
    const [pgContainer] = await containersOf(daemon.prefix, ["minicloud.app=pg"]);
    assert.ok(pgContainer);
    const writer = execIn(pgContainer.Id, [
      "sh",
      "-c",
      `i=101; while [ ! -e /tmp/stop ]; do psql "postgresql://postgres:${PASSWORD}@127.0.0.1/postgres" -qtA -c "INSERT INTO rows VALUES ($i)" >/dev/null || exit 1; i=$((i+1)); done`,
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const before = Number((await pgsql("SELECT max(id) FROM rows")).output);
    const taken = await mc(["volumes", "snapshot", "pg", "--json"], daemon.env);
    assert.equal(taken.code, 0, taken.stderr);
    const after = Number((await pgsql("SELECT max(id) FROM rows")).output);
    await execIn(pgContainer.Id, ["touch", "/tmp/stop"]);
    assert.equal((await writer).code, 0, "the writer never failed: writes were held, not refused, during the snapshot");
    assert.equal((await pgsql("INSERT INTO rows VALUES (1000000)")).code, 0, "a row written after the snapshot");

    const snapshot = json<{ id: string; pauseMs: number }>(taken.stdout);
    const restored = await mc(["volumes", "restore", "pg", snapshot.id, "--yes"], daemon.env);
    assert.equal(restored.code, 0, restored.stderr);
    // PostgreSQL starts on the snapshot's files (as after a power cut: the copy is crash-consistent)
    // and holds exactly a gap-free prefix of what was committed, nothing written after it.
    // A TCP check passes once PostgreSQL listens; it may still be replaying its WAL for a moment.
    const counted = await eventually(
      () => pgsql("SELECT count(*) FROM rows"),
      (result) => result.code === 0,
      30_000,
    );
    assert.equal(
      counted.code,
      0,
      `PostgreSQL answers after the restore: ${counted.output}\n${(await mc(["logs", "pg", "-n", "60"], daemon.env)).stdout}`,
    );
    const count = Number(counted.output);
    const max = Number((await pgsql("SELECT max(id) FROM rows")).output);
    assert.equal(count, max, "no gaps: every row up to the last one is there");
    assert.ok(max >= before && max <= after, `the snapshot holds rows up to ${max}, taken between ${before} and ${after}`);
    assert.equal((await pgsql("SELECT count(*) FROM rows WHERE id = 1000000")).output, "0");
    const logs = await mc(["logs", "pg", "-n", "400"], daemon.env);
    assert.match(logs.stdout, /database system is ready to accept connections/);
    assert.doesNotMatch(logs.stdout, /PANIC|could not locate a valid checkpoint/);
    assert.equal((await mc(["apps", "destroy", "pg", "--yes"], daemon.env)).code, 0);
    assert.equal((await mc(["volumes", "delete", "pg", "--yes"], daemon.env)).code, 0);
  });
});

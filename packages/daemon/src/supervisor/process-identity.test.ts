import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { isAlive, leftoverOf, stopLeftovers, terminate } from "./process-identity.ts";

const SLEEP = "/bin/sleep";

test("a leftover is told apart by program, arguments and binary; terminate ends it", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-identity-"));
  const child = spawn(SLEEP, ["600"], { stdio: "ignore" });
  try {
    const pidFile = path.join(dir, "sleep.pid");
    await writeFile(pidFile, `${child.pid}\n`);
    assert.equal(await isAlive(child.pid ?? 0), true);
    assert.deepEqual(await leftoverOf(pidFile, SLEEP, ["600"]), { pid: child.pid, matches: true });
    const other = await leftoverOf(pidFile, SLEEP, ["60"]);
    assert.equal(other?.matches, false);
    assert.match(other?.mismatch ?? "", /other arguments/);
    assert.equal(await leftoverOf(pidFile, "/usr/bin/caddy", ["600"]), undefined, "another program behind a reused pid is none of ours");
    assert.equal(await leftoverOf(path.join(dir, "missing.pid"), SLEEP, ["600"]), undefined);

    await terminate(child.pid ?? 0, 1000);
    assert.equal(await isAlive(child.pid ?? 0), false, "gone (an unreaped zombie does not count)");
    assert.equal(await leftoverOf(pidFile, SLEEP, ["600"]), undefined);
  } finally {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});

test("stopLeftovers ends only processes whose command line names the data dir, and clears the pid files", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-leftovers-"));
  // A process with a path below the data dir in its command line, as Caddy's and CoreDNS' have.
  const ours = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600_000)", path.join(dir, "ingress", "bootstrap.json")], {
    stdio: "ignore",
  });
  const stranger = spawn(SLEEP, ["601"], { stdio: "ignore" });
  try {
    await mkdir(path.join(dir, "run"));
    await writeFile(path.join(dir, "run", "ours.pid"), `${ours.pid}\n`);
    await writeFile(path.join(dir, "run", "stranger.pid"), `${stranger.pid}\n`);
    assert.deepEqual(await stopLeftovers(dir, 1000), [{ name: "ours", pid: ours.pid }]);
    assert.equal(await isAlive(ours.pid ?? 0), false);
    assert.equal(await isAlive(stranger.pid ?? 0), true);
    assert.deepEqual(await readdir(path.join(dir, "run")), []);
  } finally {
    ours.kill("SIGKILL");
    stranger.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { REPO_ROOT } from "./harness/paths.ts";

const run = promisify(execFile);
const read = async (file: string) => readFile(path.join(REPO_ROOT, file), "utf8");

test("setup installs from the lock with npm ci, and the lock is complete: after it, a clean clone stays clean", async () => {
  assert.match(await read("scripts/setup"), /npm ci /);
  // In CI this runs on a fresh clone after setup's `npm ci`; an incomplete lock would have failed it,
  // and an npm that rewrites the lock would show here.
  const { stdout } = await run("git", ["status", "--porcelain", "--", "package-lock.json"], { cwd: REPO_ROOT });
  assert.equal(stdout.trim(), "", "package-lock.json is as committed");
  const lock = JSON.parse(await read("package-lock.json")) as { packages: Record<string, { os?: string[] }> };
  const biomePlatforms = Object.keys(lock.packages).filter((name) => name.startsWith("node_modules/@biomejs/cli-"));
  assert.ok(
    biomePlatforms.some((name) => name.includes("darwin")),
    "other platforms' optional packages are recorded",
  );
});

test("npm run build, lint and test go through turbo, whose turbo.json defines those tasks", async () => {
  const scripts = (JSON.parse(await read("package.json")) as { scripts: Record<string, string> }).scripts;
  for (const script of ["build", "lint", "test"]) assert.match(scripts[script] ?? "", /turbo run/, script);
  const turbo = JSON.parse(await read("turbo.json")) as { tasks: Record<string, unknown> };
  assert.ok(turbo.tasks.build && turbo.tasks["//#check"]);
});

test("the README's commands work as root without sudo, and it says so", async () => {
  const readme = await read("README.md");
  assert.match(readme, /^bash scripts\/quickstart/m);
  assert.match(readme, /^bash scripts\/test/m);
  assert.match(readme, /as root/);
});

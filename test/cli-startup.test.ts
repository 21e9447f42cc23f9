import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { TestDaemon } from "./harness/daemon.ts";
import { errorOf, json, type McResult, mc } from "./harness/mc.ts";
import { MC_BIN, REPO_ROOT, SAMPLE_IMAGE } from "./harness/paths.ts";

/**
 * mc's three start-up paths (docs/architecture.md): the V8 snapshot, the bundle and the plain build.
 * Each runs the same checks; MC_STARTUP picks the path and fails when that path is not built, so a
 * missing snapshot or bundle fails here instead of being skipped.
 */
const ESC = "\u001b[";

/** The built mc, never on a TTY, with only what a user's shell would have: no CI, no NO_COLOR unless a test sets it. */
function run(args: string[], env: NodeJS.ProcessEnv, how: "program" | "node" = "program"): Promise<McResult> {
  return mc(args, { NO_COLOR: undefined, ...env }, { asProgram: how === "program", timeoutMs: 60_000 });
}

/** Runs mc as a program on a pseudo-terminal (util-linux `script`); what the terminal showed. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv): Promise<McResult> {
  const line = [MC_BIN, ...args].map((word) => `'${word}'`).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", line, "/dev/null"], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TERM: "xterm-256color", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr: "" }));
  });
}

const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, "packages/cli/oclif.manifest.json"), "utf8")) as {
  commands: Record<string, { hidden?: boolean }>;
};
const commandIds = Object.keys(manifest.commands);

describe("mc start-up paths", () => {
  let daemon: TestDaemon;
  let scratch: string;

  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "mc-startup-"));
    daemon = await TestDaemon.create();
    await daemon.start();
    const client = daemon.client();
    try {
      await client.apps.deploy({ name: "web", image: SAMPLE_IMAGE, port: 8080, memory: "32m", cpus: 0.1 });
    } finally {
      await client.close();
    }
  });

  after(async () => {
    await daemon?.destroy();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const paths = [
    { path: "snapshot", how: "program" },
    { path: "bundle", how: "node" },
    { path: "plain", how: "program" },
  ] as const;

  for (const { path: startup, how } of paths) {
    describe(`the ${startup} path`, () => {
      const mcVia = (args: string[], env: NodeJS.ProcessEnv = {}) => run(args, { ...daemon.env, MC_STARTUP: startup, ...env }, how);

      test("version, as text and --json", async () => {
        const text = await mcVia(["version"]);
        assert.equal(text.code, 0, text.stderr);
        assert.match(
          text.stdout,
          new RegExp(`^mc \\d+\\.\\d+\\.\\d+ \\(node ${process.versions.node}, ${process.platform}-${process.arch}\\)\\n$`),
        );
        const result = await mcVia(["version", "--json"]);
        assert.deepEqual(Object.keys(json(result.stdout)), ["cli", "node", "platform"]);
        // oclif's own flag: `--version` must reach mc, not the node that runs the snapshot.
        const flag = await mcVia(["--version"]);
        assert.equal(flag.code, 0, flag.stderr);
        assert.match(flag.stdout, /^@minicloud\/cli\/\d+\.\d+\.\d+ /);
      });

      test("help, a topic's help and a command's help", async () => {
        const help = await mcVia(["--help"]);
        assert.equal(help.code, 0, help.stderr);
        for (const topic of ["apps", "daemon", "volumes"]) assert.match(help.stdout, new RegExp(`^  ${topic} `, "m"));
        const topic = await mcVia(["apps", "--help"]);
        assert.equal(topic.code, 0, topic.stderr);
        assert.match(topic.stdout, /apps list/);
        assert.match(topic.stdout, /apps destroy/);
        const command = await mcVia(["status", "--help"]);
        assert.match(command.stdout, /--json/);
        assert.match(command.stdout, /--watch/);
      });

      test("--json output of a command against the daemon", async () => {
        const result = await mcVia(["status", "web", "--json"]);
        assert.equal(result.code, 0, result.stderr);
        const app = json<{ name: string; instances: { state: string }[] }>(result.stdout);
        assert.equal(app.name, "web");
        assert.equal(app.instances.length, 1);
        const list = json<{ apps: { name: string }[] }>((await mcVia(["status", "--json"])).stdout);
        assert.deepEqual(
          list.apps.map((a) => a.name),
          ["web"],
        );
      });

      test("errors keep their exit codes and --json shape", async () => {
        const badName = await mcVia(["status", "Not_An_App!", "--json"]);
        assert.equal(badName.code, 2);
        assert.ok(errorOf(badName).code, badName.stderr);
        const missing = await mcVia(["status", "nosuchapp", "--json"]);
        assert.notEqual(missing.code, 0);
        assert.notEqual(missing.code, 2);
        assert.match(errorOf(missing).code, /not_found/);
        const typo = await mcVia(["statsu"]);
        assert.equal(typo.code, 2);
        assert.match(typo.stderr, /Did you mean `mc status`\?/);
        const flag = await mcVia(["status", "--no-such-flag"]);
        assert.equal(flag.code, 2, flag.stderr);
      });

      test("a plugin's command runs (autocomplete: ES modules importing the run-time stand-ins)", async () => {
        const home = path.join(scratch, `home-${startup}`);
        const result = await mcVia(["autocomplete", "bash"], { HOME: home });
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /mc autocomplete script bash/);
        assert.match(await readFile(path.join(home, ".cache/minicloud/autocomplete/functions/bash/mc.bash"), "utf8"), /deploy/);
      });

      test("DEBUG is read at run time", async () => {
        const quiet = await mcVia(["version"]);
        assert.doesNotMatch(quiet.stderr, /oclif:main/);
        const debug = await mcVia(["version"], { DEBUG: "oclif:main" });
        assert.equal(debug.code, 0, debug.stderr);
        assert.match(debug.stderr, /oclif:main process\.argv/);
      });

      test("colour follows the terminal and NO_COLOR at run time", async () => {
        const piped = await mcVia(["status"]);
        assert.equal(piped.code, 0, piped.stderr);
        assert.ok(!piped.stdout.includes(ESC), "no colour into a pipe");
        assert.ok(!(await mcVia(["--help"])).stdout.includes(ESC), "help: no colour into a pipe");
        if (how !== "program") return;
        const terminal = await onTerminal(["--help"], { ...daemon.env, MC_STARTUP: startup });
        assert.equal(terminal.code, 0, terminal.stdout);
        assert.ok(
          terminal.stdout.includes(`${ESC}1mUSAGE`),
          `bold headings on a terminal: ${JSON.stringify(terminal.stdout.slice(0, 80))}`,
        );
        const noColour = await onTerminal(["--help"], { ...daemon.env, MC_STARTUP: startup, NO_COLOR: "1" });
        assert.ok(noColour.stdout.includes("USAGE"));
        assert.ok(!noColour.stdout.includes(ESC), "NO_COLOR on a terminal: no colour");
      });
    });
  }

  test("every command in the manifest runs through the snapshot (its --help)", async () => {
    assert.ok(commandIds.length > 10);
    const failed: string[] = [];
    const queue = [...commandIds];
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const result = await run([...id.split(":"), "--help"], { ...daemon.env, MC_STARTUP: "snapshot" });
        if (result.code !== 0 || !result.stdout.includes("USAGE")) failed.push(`${id}: ${result.code} ${result.stderr.slice(0, 200)}`);
      }
    };
    await Promise.all([worker(), worker()]);
    assert.deepEqual(failed, []);
  });

  test("without MC_STARTUP mc takes the snapshot on the node that built it, and falls back on another", async () => {
    // oclif's debug log names node's own flags: the snapshot's path when it is used.
    const env = { ...daemon.env, DEBUG: "oclif:main" };
    const fast = await run(["status", "web", "--json"], env);
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(json<{ name: string }>(fast.stdout).name, "web");
    assert.match(fast.stderr, /process\.execArgv: --snapshot-blob,\S+\/dist\/fast\/mc\.blob/);

    // Another node first on PATH (a script that logs how it was started and runs this one, as a
    // reinstalled or other Node would be): the launcher must not give it the snapshot.
    const bin = path.join(scratch, "bin");
    const log = path.join(scratch, "node.log");
    await mkdir(bin, { recursive: true });
    await writeFile(
      path.join(bin, "node"),
      `#!/bin/sh\nif [ "$1" = --version ]; then echo v0.0.1; exit 0; fi\necho "$*" >>'${log}'\nexec '${process.execPath}' "$@"\n`,
    );
    await chmod(path.join(bin, "node"), 0o755);
    const other = { ...env, PATH: `${bin}:${process.env.PATH}` };
    await writeFile(log, "");
    const fallback = await run(["status", "web", "--json"], other);
    assert.equal(fallback.code, 0, fallback.stderr);
    assert.equal(json<{ name: string }>(fallback.stdout).name, "web");
    assert.doesNotMatch(fallback.stderr, /--snapshot-blob/);
    assert.match(await readFile(log, "utf8"), /^-- \S+\/bin\/run\.js status web --json$/m);

    // Asked for, a snapshot that cannot run is an error, not a silent fallback.
    const forced = await run(["version"], { ...other, MC_STARTUP: "snapshot" });
    assert.equal(forced.code, 1);
    assert.match(forced.stderr, /no snapshot for this node \(\S+\/bin\/node, v0\.0\.1\)/);
  });
});

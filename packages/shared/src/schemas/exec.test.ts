import assert from "node:assert/strict";
import { test } from "node:test";
import { execPath } from "../exec-protocol.ts";
import { execQuerySchema } from "./exec.ts";

/** What the daemon does with an exec URL: `cmd` gathered (it repeats), the rest as given. */
function parsePath(path: string) {
  const params = new URL(path, "http://mcd").searchParams;
  const { cmd: _cmd, tenant: _tenant, ...rest } = Object.fromEntries(params);
  const cmd = params.getAll("cmd");
  return execQuerySchema.safeParse({ ...rest, ...(cmd.length > 0 ? { cmd } : {}) });
}

test("an argv survives the URL untouched: spaces, quotes, shell syntax, repeats, empty words", () => {
  const command = ["sh", "-c", `echo "$HOME" 'a b' && exit 3`, "", "sh", "&cmd=x"];
  const parsed = parsePath(execPath("web", { command, tty: false, instance: "6f77684c" }));
  assert.ok(parsed.success);
  assert.deepEqual(parsed.data.cmd, command);
  assert.equal(parsed.data.instance, "6f77684c");
  assert.equal(parsed.data.tty, "false");
});

test("without cmd the default shell runs; a terminal's size is checked", () => {
  const parsed = parsePath(execPath("web", { command: [], tty: true, cols: 120, rows: 40 }));
  assert.ok(parsed.success);
  assert.deepEqual(parsed.data.cmd, ["/bin/sh"]);
  assert.deepEqual([parsed.data.tty, parsed.data.cols, parsed.data.rows], ["true", 120, 40]);
  assert.equal(parsePath("/v1/apps/web/exec?cols=0").success, false);
  assert.equal(parsePath("/v1/apps/web/exec?rows=x").success, false);
});

test("an empty program, a NUL byte, a bad instance id or an unknown parameter is refused", () => {
  assert.equal(parsePath("/v1/apps/web/exec?cmd=").success, false);
  assert.equal(parsePath("/v1/apps/web/exec?cmd=ls&cmd=a%00b").success, false);
  assert.equal(parsePath("/v1/apps/web/exec?instance=../x").success, false);
  assert.equal(parsePath("/v1/apps/web/exec?command=ls").success, false);
});

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { ConfigError, readSettingsFile, saveSettings, withSettings } from "./settings-file.ts";

const allowed = new Set(["hosts-file", "http-port", "domain"]);
const refused = new Map([["data-dir", "it says where this file is"]]);

test("a new file gets a header, then one line per setting", () => {
  const text = withSettings(
    "",
    new Map<string, string | number>([
      ["hosts-file", "/etc/hosts"],
      ["http-port", 8080],
    ]),
  );
  assert.match(text, /^# mcd settings/);
  assert.match(text, /\nhosts-file = "\/etc\/hosts"\nhttp-port = 8080\n$/);
});

test("existing lines are replaced in place; comments and other keys are kept", () => {
  const before = '# mine\ndomain = "cloud.local" # the zone\n"http-port" = 80\nhosts-file = "/a"\n';
  const after = withSettings(
    before,
    new Map<string, string | number>([
      ["http-port", 8080],
      ["https-port", 8443],
    ]),
  );
  assert.equal(after, '# mine\ndomain = "cloud.local" # the zone\nhttp-port = 8080\nhosts-file = "/a"\nhttps-port = 8443\n');
  assert.equal(withSettings(after, new Map([["hosts-file", '/b "quoted"']])).split("\n")[3], 'hosts-file = "/b \\"quoted\\""');
});

test("reading: values by key; missing file is undefined; bad files name the file and the key", async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mcd-settings-"));
  try {
    const file = path.join(dir, "mcd.toml");
    assert.equal(readSettingsFile(file, allowed, refused), undefined);
    await saveSettings(
      file,
      new Map<string, string | number>([
        ["hosts-file", "/etc/hosts"],
        ["http-port", 8080],
      ]),
    );
    assert.deepEqual(
      readSettingsFile(file, allowed, refused),
      new Map<string, string | number>([
        ["hosts-file", "/etc/hosts"],
        ["http-port", 8080],
      ]),
    );
    assert.equal(await saveSettings(file, new Map([["http-port", 8080]])), false, "an unchanged file is not rewritten");

    const bad = async (text: string, pattern: RegExp) => {
      await writeFile(file, text);
      assert.throws(
        () => readSettingsFile(file, allowed, refused),
        (error: Error) => error instanceof ConfigError && pattern.test(error.message) && !error.message.includes("\n"),
      );
    };
    await bad('hosts-file = "/x\n', new RegExp(`^${file}:1: not valid TOML`));
    await bad("htp-port = 80\n", new RegExp(`^${file}: unknown setting "htp-port" — known: hosts-file, http-port, domain`));
    await bad('data-dir = "/x"\n', new RegExp(`^${file}: data-dir cannot be set in this file \\(it says where`));
    await bad("http-port = [80]\n", new RegExp(`^${file}: http-port must be a string or a number, got an array`));
    await bad("[server]\nhttp-port = 80\n", /unknown setting "server"/);
    assert.match(await readFile(file, "utf8"), /server/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

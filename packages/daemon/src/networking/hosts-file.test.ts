import assert from "node:assert/strict";
import { test } from "node:test";
import { withManagedBlock } from "./hosts-file.ts";

const SYSTEM = "127.0.0.1 localhost\n::1 localhost ip6-localhost\n";

test("adds one block with a line per host and keeps the rest", () => {
  const text = withManagedBlock(SYSTEM, "127.0.0.1", ["web.acme.cloud.local", "api.acme.cloud.local"]);
  assert.ok(text.startsWith(SYSTEM));
  assert.match(
    text,
    /# minicloud begin[^\n]*\n127\.0\.0\.1 api\.acme\.cloud\.local\n127\.0\.0\.1 web\.acme\.cloud\.local\n# minicloud end\n$/,
  );
});

test("replaces its own block instead of adding another, and removes it when no host is left", () => {
  const once = withManagedBlock(SYSTEM, "127.0.0.1", ["a.t.cloud.local"]);
  const userEdit = `${once}10.0.0.5 printer\n`;
  const twice = withManagedBlock(userEdit, "127.0.0.1", ["b.t.cloud.local"]);
  assert.equal(twice.match(/# minicloud begin/g)?.length, 1);
  assert.doesNotMatch(twice, /a\.t\.cloud\.local/);
  assert.match(twice, /10\.0\.0\.5 printer/);
  assert.equal(withManagedBlock(twice, "127.0.0.1", []), `${SYSTEM}10.0.0.5 printer\n`);
});

test("a file without a final newline still gets a well-formed block", () => {
  assert.equal(withManagedBlock("127.0.0.1 localhost", "127.0.0.1", ["x.y.z"]).split("\n")[1]?.startsWith("# minicloud begin"), true);
});

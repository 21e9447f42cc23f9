import assert from "node:assert/strict";
import { test } from "node:test";
import { commandAfterDashes, validInstance } from "./exec-args.ts";
import { UsageError } from "./usage-error.ts";

test("the command is every word after --, exactly as typed", () => {
  // oclif's parsed argv would reorder the repeated "sh"; the raw argv does not.
  const raw = ["web", "--instance", "abc", "--", "sh", "-c", "echo $0", "sh", "--json"];
  assert.deepEqual(commandAfterDashes(raw, ["web", "sh", "sh", "-c"], "x"), ["sh", "-c", "echo $0", "sh", "--json"]);
  assert.deepEqual(commandAfterDashes(["web"], ["web"], "x"), []);
});

test("words after the app without -- are refused (they would be read as mc's flags)", () => {
  assert.throws(() => commandAfterDashes(["web", "ls"], ["web", "ls"], "mc exec web -- ls"), UsageError);
});

test("instance ids are checked before any request", () => {
  assert.equal(validInstance(undefined), undefined);
  assert.equal(validInstance("6f77684c"), "6f77684c");
  assert.throws(() => validInstance("../x"), UsageError);
});

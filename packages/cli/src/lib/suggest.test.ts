import assert from "node:assert/strict";
import { test } from "node:test";
import { closestCommand, suggest } from "./suggest.ts";

const commands = [["deploy"], ["apps", "destroy"], ["apps", "list"], ["destroy"], ["logs"], ["login"], ["logout"]];

test("a mistyped command with arguments finds the command", () => {
  assert.deepEqual(closestCommand(["deplyo", "web"], commands), ["deploy"]);
  assert.deepEqual(closestCommand(["apps", "destry", "web"], commands), ["apps", "destroy"]);
  assert.equal(closestCommand(["frobnicate"], commands), undefined);
});

test("a mistyped flag finds the flag; an unrelated one finds nothing", () => {
  assert.equal(suggest("--imag", ["--image", "--port", "--env"]), "--image");
  assert.equal(suggest("--zzzzzzzz", ["--image", "--port"]), undefined);
});

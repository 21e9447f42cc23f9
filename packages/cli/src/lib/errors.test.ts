import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, ConnectionError } from "@minicloud/shared";
import { classify, UsageError } from "./errors.ts";

test("bad input exits 2, everything else 1, each with a stable code", () => {
  assert.deepEqual(classify(new UsageError("bad")), { code: "invalid_input", message: "bad", exit: 2 });
  assert.equal(classify(new ApiError("invalid_input", "x")).exit, 2);
  assert.equal(classify(new ApiError("conflict", "x")).exit, 1);
  assert.equal(classify(new ConnectionError("down", "unix:///x")).code, "daemon_unreachable");
  assert.equal(classify(Object.assign(new Error("Nonexistent flag"), { oclif: { exit: 2 } })).exit, 2);
  assert.equal(classify(new Error("boom")).exit, 1);
});

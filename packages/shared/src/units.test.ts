import assert from "node:assert/strict";
import { test } from "node:test";
import { cpusSchema, memorySchema, parseBytes } from "./units.ts";

test("sizes parse with k/m/g suffixes and reject everything else", () => {
  assert.equal(parseBytes("256m"), 256 * 1024 ** 2);
  assert.equal(parseBytes("1g"), 1024 ** 3);
  assert.equal(parseBytes("512K"), 512 * 1024);
  assert.equal(parseBytes("1048576"), 1048576);
  for (const bad of ["1e9", "-1", "1.5g", "lots", "", "12t", "0x10"]) assert.equal(parseBytes(bad), undefined, bad);
});

test("memory must lie between 6m and 64g", () => {
  assert.equal(memorySchema.parse("6m"), 6 * 1024 ** 2);
  for (const bad of ["1k", "0", "65g", "1e9", "-1"]) assert.equal(memorySchema.safeParse(bad).success, false, bad);
});

test("cpus are decimals between 0.01 and 64 with two decimals at most", () => {
  assert.equal(cpusSchema.parse("0.5"), 0.5);
  assert.equal(cpusSchema.parse(2), 2);
  for (const bad of ["0.0001", "0", "-1", "65", "1e2", "half"]) assert.equal(cpusSchema.safeParse(bad).success, false, bad);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { sparkline } from "./sparkline.ts";

test("scales from zero to the largest value, gaps as spaces", () => {
  assert.equal(sparkline([0, 50, 100, null, 100]), "▁▅█ █");
});

test("all zero is a flat line; more values than cells are averaged", () => {
  assert.equal(sparkline([0, 0, 0]), "▁▁▁");
  assert.equal(sparkline([0, 0, 10, 10], 2), "▁█");
});

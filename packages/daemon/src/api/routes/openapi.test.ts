import assert from "node:assert/strict";
import { test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { methodsFor, openApiDocument } from "./openapi.ts";

test("the generated document is valid OpenAPI 3.1", async () => {
  const result = await new Validator().validate(openApiDocument() as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

test("a 405's Allow names the path's own methods: a static segment is not a parameter's value", () => {
  assert.deepEqual(methodsFor("/v1/webhooks/deliveries"), ["GET"]);
  assert.deepEqual(methodsFor("/v1/webhooks/wh_123").sort(), ["DELETE"]);
  assert.deepEqual(methodsFor("/v1/nothing/here"), []);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { openApiDocument } from "./openapi.ts";

test("the generated document is valid OpenAPI 3.1", async () => {
  const result = await new Validator().validate(openApiDocument() as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

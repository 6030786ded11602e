import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { policyJsonSchemaText, SCHEMA_PATH } from "../../../webhooks/policy/json-schema.ts";

test("schemas/policy.schema.json matches the zod schema (regenerate: node webhooks/policy/json-schema.ts)", () => {
  assert.equal(readFileSync(SCHEMA_PATH, "utf8"), policyJsonSchemaText());
});

test("the published schema requires the policy's fields and forbids unknown ones", () => {
  const schema = JSON.parse(policyJsonSchemaText());
  assert.deepEqual(schema.required, ["apiVersion", "kind", "metadata", "spec"]);
  assert.equal(schema.additionalProperties, false);
  assert.ok(schema.properties.spec.properties.validations);
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { policyJsonSchemaText, SCHEMA_PATH } from "../../../webhooks/policy/json-schema.ts";

test("schemas/policy.schema.json matches the zod schema (regenerate: node webhooks/policy/json-schema.ts)", () => {
  assert.equal(readFileSync(SCHEMA_PATH, "utf8"), policyJsonSchemaText());
});

test("the published schema is a Policy or a MutatingPolicy, each requiring its fields and forbidding unknown ones", () => {
  const schema = JSON.parse(policyJsonSchemaText());
  const [validating, mutating] = schema.oneOf ?? schema.anyOf;
  for (const document of [validating, mutating]) {
    assert.deepEqual(document.required, ["apiVersion", "kind", "metadata", "spec"]);
    assert.equal(document.additionalProperties, false);
  }
  assert.ok(validating.properties.spec.properties.validations);
  assert.ok(mutating.properties.spec.properties.mutations);
});

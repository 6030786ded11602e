import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admissionReview, parseAdmissionReview } from "../../../src/admission/review.ts";
import { fastAdmissionReview } from "../../../src/admission/review-fast.ts";
import { assertFastPathAgrees, edited } from "../../support/fast-path.ts";

const fixture = JSON.parse(readFileSync(new URL("../../fixtures/bench/pod-review.json", import.meta.url), "utf8")) as Record<string, unknown>;

/** Every place in the envelope the schema looks at, and a few it does not. */
const PATHS = [
  ["apiVersion"], ["kind"], ["extra"], ["request"], ["request", "uid"], ["request", "kind"], ["request", "kind", "group"], ["request", "kind", "version"],
  ["request", "kind", "kind"], ["request", "kind", "extra"], ["request", "resource"], ["request", "resource", "resource"], ["request", "resource", "group"],
  ["request", "subResource"], ["request", "requestKind"], ["request", "requestKind", "kind"], ["request", "requestResource"], ["request", "requestResource", "version"],
  ["request", "requestSubResource"], ["request", "name"], ["request", "namespace"], ["request", "operation"], ["request", "userInfo"], ["request", "userInfo", "username"],
  ["request", "userInfo", "uid"], ["request", "userInfo", "groups"], ["request", "userInfo", "extra"], ["request", "userInfo", "extra", "scopes"], ["request", "userInfo", "other"],
  ["request", "object"], ["request", "oldObject"], ["request", "options"], ["request", "dryRun"], ["request", "unknownField"],
] as const;

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom("", "x", "CREATE", "DELETE", "Pod", "admission.k8s.io/v1", "AdmissionReview"),
  fc.boolean(),
  fc.integer(),
  fc.array(fc.oneof(fc.string(), fc.integer()), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("group", "version", "kind", "resource", "a"), fc.oneof(fc.string(), fc.integer(), fc.array(fc.string(), { maxLength: 2 })), { maxKeys: 4 }),
  fc.jsonValue(),
);

describe("the AdmissionReview fast path", () => {
  it("takes an ordinary review, and returns what the schema returns", () => {
    const fast = fastAdmissionReview(fixture);
    assert.ok(fast);
    assert.deepEqual(fast, admissionReview.parse(fixture));
  });

  it("property: accepts only what the schema accepts, returning exactly its result (unknown keys dropped)", () => {
    assertFastPathAgrees({ fixture, paths: PATHS, values: value, fast: fastAdmissionReview, schema: admissionReview, numRuns: 2000 });
  });

  it("leaves refusals to the schema, so they still name the field", () => {
    const parsed = parseAdmissionReview(edited(fixture, [[["request", "kind", "kind"], ""]]));
    assert.equal(parsed.ok, false);
    assert.equal(!parsed.ok && parsed.field, "request.kind.kind");
  });
});

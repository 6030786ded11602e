import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { admissionReview, parseAdmissionReview } from "../../../src/admission/review.ts";
import { fastAdmissionReview } from "../../../src/admission/review-fast.ts";

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

function edited(edits: readonly [readonly string[], unknown][]): unknown {
  const review = structuredClone(fixture);
  for (const [path, v] of edits) {
    let at: unknown = review;
    for (const key of path.slice(0, -1)) at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[key] : undefined;
    if (typeof at !== "object" || at === null) continue;
    if (v === undefined) delete (at as Record<string, unknown>)[path.at(-1)!];
    else (at as Record<string, unknown>)[path.at(-1)!] = v;
  }
  return review;
}

describe("the AdmissionReview fast path", () => {
  it("takes an ordinary review, and returns what the schema returns", () => {
    const fast = fastAdmissionReview(fixture);
    assert.ok(fast);
    assert.deepEqual(fast, admissionReview.parse(fixture));
  });

  it("property: accepts only what the schema accepts, returning exactly its result (unknown keys dropped)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { minLength: 1, maxLength: 4 }), (edits) => {
        const body = edited(edits);
        const fast = fastAdmissionReview(body);
        const slow = admissionReview.safeParse(body);
        if (fast !== undefined) {
          assert.ok(slow.success, "the fast path accepted what the schema refuses");
          assert.deepEqual(fast, slow.data);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves refusals to the schema, so they still name the field", () => {
    const parsed = parseAdmissionReview(edited([[["request", "kind", "kind"], ""]]));
    assert.equal(parsed.ok, false);
    assert.equal(!parsed.ok && parsed.field, "request.kind.kind");
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAdmissionReview } from "../../../src/admission/review.ts";
import { fixture } from "../../support/fixtures.ts";

const FIXTURES = ["create-pod", "create-pod-dry-run", "update-pod", "delete-pod", "connect-pod-exec", "update-pod-status"];

describe("AdmissionReview v1 parsing", () => {
  for (const name of FIXTURES) {
    it(`accepts the realistic ${name} review`, () => {
      const body = fixture(`admission/${name}.json`);
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.ok, true, parsed.ok ? "" : parsed.message);
      if (parsed.ok) assert.equal(parsed.review.request.uid, body.request.uid);
    });
  }

  it("keeps DELETE's null object and its oldObject", () => {
    const parsed = parseAdmissionReview(fixture("admission/delete-pod.json"));
    assert.ok(parsed.ok);
    assert.equal(parsed.review.request.object, null);
    assert.equal((parsed.review.request.oldObject?.["metadata"] as { name: string }).name, "web-7d9f8c6b5d-x2x9k");
  });

  it("keeps the subresource of a pods/status update", () => {
    const parsed = parseAdmissionReview(fixture("admission/update-pod-status.json"));
    assert.ok(parsed.ok);
    assert.equal(parsed.review.request.subResource, "status");
  });

  const broken: Array<[string, (b: any) => void, string]> = [
    ["wrong apiVersion", (b) => (b.apiVersion = "admission.k8s.io/v1beta1"), "apiVersion"],
    ["wrong kind", (b) => (b.kind = "Pod"), "kind"],
    ["no request", (b) => delete b.request, "request"],
    ["no uid", (b) => delete b.request.uid, "request.uid"],
    ["empty uid", (b) => (b.request.uid = ""), "request.uid"],
    ["no kind", (b) => delete b.request.kind, "request.kind"],
    ["no operation", (b) => delete b.request.operation, "request.operation"],
    ["unknown operation", (b) => (b.request.operation = "PATCH"), "request.operation"],
    ["object not an object", (b) => (b.request.object = "pod"), "request.object"],
    ["dryRun not a boolean", (b) => (b.request.dryRun = "yes"), "request.dryRun"],
  ];
  for (const [what, breakIt, field] of broken) {
    it(`names the field when the review has ${what}`, () => {
      const body = fixture("admission/create-pod.json");
      breakIt(body);
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) {
        assert.equal(parsed.field, field);
        assert.match(parsed.message, new RegExp(`^${field.replace(".", "\\.")}: `));
      }
    });
  }

  it("echoes the uid of a review that is otherwise broken", () => {
    const parsed = parseAdmissionReview({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "abc" } });
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.equal(parsed.uid, "abc");
  });

  it("rejects JSON that is not an object", () => {
    for (const body of [null, 42, "review", []]) {
      const parsed = parseAdmissionReview(body);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.equal(parsed.field, "(root)");
    }
  });
});

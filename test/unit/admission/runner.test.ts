import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allow, deny, mutate, type AdmissionHandler, type Decision, type FailurePolicy } from "../../../src/admission/handler.ts";
import { applyPatch } from "../../../src/admission/patch.ts";
import { deadlineMs, runMutating, runValidating } from "../../../src/admission/run.ts";
import type { AdmissionRequest } from "../../../src/admission/review.ts";
import { reviewRequest } from "../../support/fixtures.ts";

function handler(name: string, handle: AdmissionHandler["handle"], failurePolicy: FailurePolicy = "Fail", kind: "mutating" | "validating" = "mutating"): AdmissionHandler {
  return { name, kind, failurePolicy, timeoutSeconds: 1, handle };
}

const labelled = (key: string, value: string) =>
  handler(`label-${key}`, (request) => {
    const pod = request.object as { metadata: { labels?: Record<string, string> } };
    pod.metadata.labels = { ...pod.metadata.labels, [key]: value };
    return mutate(pod);
  });

const throwing = (policy: FailurePolicy) => handler("boom", () => {
  throw new Error("kaput");
}, policy);
const hanging = (policy: FailurePolicy) => handler("stuck", () => new Promise<Decision>(() => {}), policy);

describe("mutating runner", () => {
  it("chains mutators and returns one patch that produces both edits", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const { response, results } = await runMutating([labelled("a", "1"), labelled("b", "2")], request);
    assert.equal(response.uid, request.uid);
    assert.equal(response.allowed, true);
    assert.equal(response.patchType, "JSONPatch");
    const ops = JSON.parse(Buffer.from(response.patch!, "base64").toString());
    const patched = applyPatch(request.object!, ops) as any;
    assert.equal(patched.metadata.labels.a, "1");
    assert.equal(patched.metadata.labels.b, "2");
    assert.deepEqual(results.map((r) => r.outcome), ["patched", "patched"]);
  });

  it("never patches managedFields and leaves the request object untouched", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const before = JSON.stringify(request.object);
    const { response } = await runMutating([labelled("a", "1")], request);
    const ops = JSON.parse(Buffer.from(response.patch!, "base64").toString()) as Array<{ path: string }>;
    assert.ok(ops.every((op) => !op.path.includes("managedFields")));
    assert.equal(JSON.stringify(request.object), before);
  });

  it("returns no patch when nothing changed", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const { response, results } = await runMutating([handler("noop", (r) => mutate(r.object!))], request);
    assert.equal(response.patch, undefined);
    assert.equal(results[0]!.outcome, "allowed");
  });

  it("a throwing mutator under Fail denies with 500 naming the webhook, uid intact", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const { response, results } = await runMutating([throwing("Fail")], request);
    assert.equal(response.uid, request.uid);
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 500);
    assert.match(response.status.message!, /"boom" failed: kaput/);
    assert.equal(results[0]!.outcome, "failed_closed");
  });

  it("a throwing mutator under Ignore allows with a warning and keeps the others' edits", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const { response, results } = await runMutating([labelled("a", "1"), throwing("Ignore")], request);
    assert.equal(response.allowed, true);
    assert.match(response.warnings![0]!, /"boom" failed: kaput/);
    assert.ok(response.patch);
    assert.deepEqual(results.map((r) => r.outcome), ["patched", "failed_open"]);
  });

  it("a mutator that edits its input and then throws leaves no half-made change", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const halfway = handler("halfway", (r) => {
      (r.object as any).metadata.labels.half = "made";
      throw new Error("late failure");
    }, "Ignore");
    const { response } = await runMutating([halfway], request);
    assert.equal(response.patch, undefined);
  });

  it("a mutator that declares it leaves its input intact gets the object itself; any other gets a copy", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const seen: unknown[] = [];
    const peek = (name: string, leavesInputIntact: boolean): AdmissionHandler => ({
      ...handler(name, (r) => {
        seen.push(r.object);
        return allow();
      }),
      leavesInputIntact,
    });
    await runMutating([peek("intact", true), peek("copying", false)], request);
    assert.equal(seen[0], request.object);
    assert.notEqual(seen[1], request.object);
    assert.deepEqual(seen[1], request.object);
  });

  for (const policy of ["Fail", "Ignore"] as const) {
    it(`a hanging mutator under ${policy} is cut off at its deadline`, async () => {
      const request = reviewRequest("create-pod") as AdmissionRequest;
      const started = performance.now();
      const { response, results } = await runMutating([hanging(policy)], request);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= deadlineMs(1) - 20 && elapsed < 1000, `took ${elapsed} ms`);
      assert.equal(response.uid, request.uid);
      assert.equal(response.allowed, policy === "Ignore");
      assert.match(policy === "Fail" ? response.status!.message! : response.warnings![0]!, /timed out/);
      assert.equal(results[0]!.outcome, policy === "Fail" ? "failed_closed" : "failed_open");
    });
  }

  it("a denial stops the chain", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    let called = false;
    const after = handler("after", () => ((called = true), allow()));
    const { response } = await runMutating([handler("no", () => deny("not here", 403)), after], request);
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 403);
    assert.equal(called, false);
  });

  it("handles DELETE's null object without a patch", async () => {
    const request = reviewRequest("delete-pod") as AdmissionRequest;
    const { response } = await runMutating([handler("any", () => allow())], request);
    assert.deepEqual(response, { uid: request.uid, allowed: true });
  });

  it("tells the handler about dry runs", async () => {
    const request = reviewRequest("create-pod-dry-run") as AdmissionRequest;
    let seen: boolean | undefined;
    await runMutating([handler("dry", (_r, context) => ((seen = context.dryRun), allow()))], request);
    assert.equal(seen, true);
  });
});

describe("validating runner", () => {
  it("reports every denial, not only the first, with the first denial's code", async () => {
    const request = reviewRequest("create-pod") as AdmissionRequest;
    const { response } = await runValidating(
      [
        handler("a", () => deny("first reason", 422), "Fail", "validating"),
        handler("b", () => allow({ warnings: ["careful"], auditAnnotations: { seen: "b" } }), "Fail", "validating"),
        handler("c", () => deny("second reason"), "Fail", "validating"),
      ],
      request,
    );
    assert.equal(response.allowed, false);
    assert.equal(response.status?.code, 422);
    assert.equal(response.status?.message, "first reason; second reason");
    assert.deepEqual(response.warnings, ["careful"]);
    assert.deepEqual(response.auditAnnotations, { seen: "b" });
  });

  it("a throwing validator under Fail denies; under Ignore it warns", async () => {
    const request = reviewRequest("update-pod") as AdmissionRequest;
    const fail = await runValidating([{ ...throwing("Fail"), kind: "validating" }], request);
    assert.equal(fail.response.allowed, false);
    assert.equal(fail.response.status?.code, 500);
    const ignore = await runValidating([{ ...throwing("Ignore"), kind: "validating" }], request);
    assert.equal(ignore.response.allowed, true);
    assert.equal(ignore.response.warnings?.length, 1);
  });

  it("refuses denial codes the apiserver would rewrite", () => {
    assert.throws(() => deny("x", 200), /400\.\.599/);
  });
});

// Field paths in error replies and logs come from the input's keys: they are
// cut short, so a hostile megabyte-long key is not echoed back whole.
import assert from "node:assert/strict";
import { test } from "node:test";
import { z } from "zod";
import { parseAdmissionReview } from "../../../src/admission/review.ts";
import { describeIssue } from "../../../src/issues.ts";
import { extenderArgs, parseWire } from "../../../extender/wire.ts";

const huge = "k".repeat(1_000_000);

test("a huge key in an AdmissionReview is named by its first characters only", () => {
  const parsed = parseAdmissionReview({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u", userInfo: { extra: { [huge]: "x" } } } });
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.ok(parsed.message.length < 500, `message is ${parsed.message.length} characters`);
  assert.ok(parsed.field.length <= 320);
});

test("a huge key in extender args is named by its first characters only", () => {
  const parsed = parseWire(extenderArgs, { Pod: { metadata: { labels: { [huge]: 1 } } }, NodeNames: [] });
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.match(parsed.field, /^Pod\.metadata\.labels\.k{63}…$/);
});

test("ordinary paths are unchanged, and very deep ones are cut at 320 characters", () => {
  const issue = (path: (string | number)[]) => ({ code: "custom", path, message: "bad", input: undefined }) as z.core.$ZodIssue;
  assert.equal(describeIssue(issue(["spec", "containers", 0, "resources"])).message, "spec.containers[0].resources: bad");
  assert.equal(describeIssue(issue(Array.from({ length: 500 }, () => "abc"))).field.length, 320);
});

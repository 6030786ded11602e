import assert from "node:assert/strict";
import { test } from "node:test";
import { percentiles, segmentSummary, type RealPodStages } from "../../../bench/realnode.ts";

test("percentiles skip unknown values and round to ms", () => {
  assert.deepEqual(percentiles([3.4, undefined, 1.2, 2.6, Number.NaN]), { p50: 3, p99: 3, max: 3 });
  assert.deepEqual(percentiles([1, 2, 3, 4]), { p50: 2, p99: 4, max: 4 });
});

test("each real-node stage is the span between its two boundaries, with its p50's share of the p50 create→Ready", () => {
  const pod = (offset: number): RealPodStages => ({ created: offset, persisted: offset + 50, bound: offset + 60, initRan: offset + 800, sidecarStarted: offset + 1800, appStarted: offset + 1900, ready: offset + 2000 });
  const s = segmentSummary([pod(0), pod(10_000)]);
  assert.deepEqual(Object.keys(s), ["admission", "scheduling", "kubelet: sandbox + init ran", "init exit seen → sidecar started", "sidecar → app started", "app started → Ready"]);
  assert.equal(s["admission"]!.p50, 50);
  assert.equal(s["kubelet: sandbox + init ran"]!.p50, 740);
  assert.equal(s["init exit seen → sidecar started"]!.shareOfP50, 50);
  assert.equal(s["app started → Ready"]!.shareOfP50, 5);
});

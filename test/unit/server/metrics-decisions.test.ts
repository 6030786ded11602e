import assert from "node:assert/strict";
import { test } from "node:test";
import { Metrics } from "../../../src/server/metrics.ts";

test("recordDecision counts and times each label set apart, through its kept children", async () => {
  const metrics = new Metrics();
  metrics.recordDecision("sidecar", "CREATE", "patched", 0.0004);
  metrics.recordDecision("sidecar", "CREATE", "patched", 0.002);
  metrics.recordDecision("sidecar", "UPDATE", "allowed", 0.02);
  const text = await metrics.registry.metrics();
  assert.match(text, /podgate_admission_decisions_total\{webhook="sidecar",operation="CREATE",outcome="patched"\} 2\n/);
  assert.match(text, /podgate_admission_decisions_total\{webhook="sidecar",operation="UPDATE",outcome="allowed"\} 1\n/);
  assert.match(text, /podgate_admission_duration_seconds_bucket\{le="0.0005",webhook="sidecar",operation="CREATE",outcome="patched"\} 1\n/);
  assert.match(text, /podgate_admission_duration_seconds_count\{webhook="sidecar",operation="CREATE",outcome="patched"\} 2\n/);
  assert.match(text, /podgate_admission_duration_seconds_sum\{webhook="sidecar",operation="UPDATE",outcome="allowed"\} 0.02\n/);
});

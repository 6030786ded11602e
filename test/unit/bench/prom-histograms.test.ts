// Reading histograms from Prometheus text: series filtered by labels and
// summed, the difference of two scrapes, bucket bounds for quantiles.
import assert from "node:assert/strict";
import { it } from "node:test";
import { histogram, quantileBound, since, summaryMs } from "../../../bench/prom.ts";

const page = (ok: number[], errors = 0) => `# HELP podgate_extender_duration_seconds x
# TYPE podgate_extender_duration_seconds histogram
podgate_extender_duration_seconds_bucket{le="0.001",verb="bind",outcome="ok"} ${ok[0]}
podgate_extender_duration_seconds_bucket{le="0.01",verb="bind",outcome="ok"} ${ok[1]}
podgate_extender_duration_seconds_bucket{le="+Inf",verb="bind",outcome="ok"} ${ok[2]}
podgate_extender_duration_seconds_sum{verb="bind",outcome="ok"} ${ok[3]}
podgate_extender_duration_seconds_count{verb="bind",outcome="ok"} ${ok[2]}
podgate_extender_duration_seconds_bucket{le="0.001",verb="bind",outcome="error"} 0
podgate_extender_duration_seconds_bucket{le="0.01",verb="bind",outcome="error"} ${errors}
podgate_extender_duration_seconds_bucket{le="+Inf",verb="bind",outcome="error"} ${errors}
podgate_extender_duration_seconds_sum{verb="bind",outcome="error"} ${errors * 0.005}
podgate_extender_duration_seconds_count{verb="bind",outcome="error"} ${errors}
podgate_extender_duration_seconds_count{verb="filter",outcome="ok"} 99
podgate_extender_request_bytes_count{verb="bind"} 7
`;

it("sums the series that match the labels and ignores other metrics and verbs", () => {
  const h = histogram(page([2, 8, 10, 0.05], 4), "podgate_extender_duration_seconds", { verb: "bind" });
  assert.equal(h.count, 14);
  assert.equal(h.sum, 0.07);
  assert.deepEqual([...h.buckets], [[0.001, 2], [0.01, 12], [Infinity, 14]]);
  assert.equal(histogram(page([2, 8, 10, 0.05]), "podgate_extender_duration_seconds", { verb: "bind", outcome: "ok" }).count, 10);
});

it("takes the difference of two scrapes, and bounds quantiles by buckets", () => {
  const before = histogram(page([2, 8, 10, 0.05]), "podgate_extender_duration_seconds", { verb: "bind" });
  const after = histogram(page([3, 18, 30, 0.25]), "podgate_extender_duration_seconds", { verb: "bind" });
  const run = since(after, before);
  assert.equal(run.count, 20);
  assert.deepEqual([...run.buckets], [[0.001, 1], [0.01, 10], [Infinity, 20]]);
  assert.equal(quantileBound(run, 0.5), 0.01);
  assert.equal(quantileBound(run, 0.99), Infinity);
  assert.deepEqual(summaryMs(run), { calls: 20, meanMs: 10, p50LeMs: 10, p99LeMs: Infinity });
});

it("reads nothing from a page without the metric", () => {
  const h = histogram("up 1\n", "podgate_extender_duration_seconds");
  assert.equal(h.count, 0);
  assert.ok(Number.isNaN(quantileBound(h, 0.5)));
  assert.ok(Number.isNaN(summaryMs(h).meanMs));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { createToRunning, formatTimeline, parseLog, podgateStages, reviewsOf } from "../../../src/harness/timeline.ts";

const line = (o: Record<string, unknown>) => JSON.stringify({ level: 30, pid: 1, hostname: "h", ...o });
const LOG = [
  line({ time: 1000, msg: "podgate serving" }),
  line({ time: 1100, msg: "admission review", namespace: "ns", name: "web", route: "/mutate/sidecar", dryRun: false }),
  line({ time: 1105, msg: "admission review", namespace: "ns", name: "web", route: "/mutate/defaults", dryRun: false }),
  line({ time: 1110, msg: "admission review", namespace: "ns", name: "web", route: "/validate/policy", dryRun: false }),
  line({ time: 1050, msg: "admission review", namespace: "ns", name: "web", route: "/mutate/sidecar", dryRun: true }),
  line({ time: 1200, msg: "extender call", verb: "filter", pod: "ns/web" }),
  line({ time: 1210, msg: "extender call", verb: "prioritize", pod: "ns/web" }),
  line({ time: 1300, msg: "extender call", verb: "filter", pod: "ns/web" }),
  line({ time: 1400, msg: "extender call", verb: "filter", pod: "other/web" }),
  "not json: a stray line",
  "",
].join("\n");

test("parseLog keeps only admission reviews and extender calls", () => {
  const lines = parseLog(LOG);
  assert.equal(lines.length, 8);
  assert.ok(lines.every((l) => l.msg === "admission review" || l.msg === "extender call"));
});

test("reviewsOf leaves dry runs and other pods out", () => {
  const reviews = reviewsOf(parseLog(LOG), "ns", "web");
  assert.deepEqual(reviews.map((r) => r.time), [1100, 1105, 1110]);
});

test("podgateStages takes the first mutating/validating review and the first filter/prioritize call of that pod", () => {
  assert.deepEqual(podgateStages(parseLog(LOG), "ns", "web"), { mutated: 1100, validated: 1110, filtered: 1200, scored: 1210 });
  assert.deepEqual(podgateStages(parseLog(LOG), "ns", "absent"), {}, "unknown stages are absent, not undefined-valued");
});

test("createToRunning needs both ends", () => {
  assert.equal(createToRunning({ created: 10, running: 250 }), 240);
  assert.equal(createToRunning({ created: 10 }), undefined);
  assert.equal(createToRunning({ running: 10 }), undefined);
});

test("formatTimeline prints offsets from created, '-' for unknown stages, and the latency", () => {
  const text = formatTimeline([
    { pod: "web", node: "n1", stages: { created: 1000, mutated: 1100, persisted: 1120, bound: 1150, running: 1180, ready: 1181 } },
    { pod: "shop-x", stages: { created: 2000, validated: 2900 } },
  ]);
  const [header, web, shop] = text.split("\n");
  assert.match(header!, /^pod\s+node\s+created\s+mutated\s+validated\s+persisted\s+filtered\s+scored\s+bound\s+running\s+ready\s+create→Running$/);
  assert.match(web!, /^web\s+n1\s+\+0\s+\+100\s+-\s+\+120\s+-\s+-\s+\+150\s+\+180\s+\+181\s+180 ms$/);
  assert.match(shop!, /^shop-x\s+-\s+\+0\s+-\s+\+900(\s+-)+$/);
});

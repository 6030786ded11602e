// The flow bench's three scheduler configurations, derived from podgate's
// `scheduler-config` output: what each keeps and drops.
import assert from "node:assert/strict";
import { it } from "node:test";
import { cpuPerPod, SCHEDULERS, summariseRounds, type SchedulingRun } from "../../../bench/flow.ts";

const podgate = {
  apiVersion: "kubescheduler.config.k8s.io/v1",
  kind: "KubeSchedulerConfiguration",
  extenders: [{ urlPrefix: "https://127.0.0.1:1/extender", filterVerb: "filter", prioritizeVerb: "prioritize", bindVerb: "bind", weight: 20, nodeCacheCapable: true, enableHTTPS: true }],
};
const [plain, cacheOnly, withBind] = SCHEDULERS.map((s) => s.config(podgate));

it("runs no extender, podgate without bind, and podgate with bind, in that order", () => {
  assert.equal(SCHEDULERS.length, 3);
  assert.equal(plain!["extenders"], undefined);
  const [noBind] = cacheOnly!["extenders"] as Record<string, unknown>[];
  assert.deepEqual(noBind, { urlPrefix: "https://127.0.0.1:1/extender", filterVerb: "filter", prioritizeVerb: "prioritize", weight: 20, nodeCacheCapable: true, enableHTTPS: true });
  assert.deepEqual(withBind!["extenders"], podgate.extenders);
  assert.equal(podgate.extenders[0]!.bindVerb, "bind", "podgate's configuration is not modified");
});

it("lifts the scheduler's client rate limits in every configuration alike", () => {
  for (const config of [plain, cacheOnly, withBind]) assert.deepEqual(config!["clientConnection"], { qps: 5000, burst: 5000 });
});

const run = (setup: string, podsPerSecond: number, podgateCpu: number): SchedulingRun => ({
  setup,
  pods: 600,
  bound: 600,
  complete: true,
  podsPerSecond,
  seconds: 600 / podsPerSecond,
  connectionsToPodgate: Math.round(podsPerSecond),
  podgateVerbs: {},
  schedulerMetrics: {},
  cpuMsPerPod: { podgate: podgateCpu },
});

it("summarises rounds by medians, each ratio to the plain scheduler taken within its round", () => {
  // Round 2 ran on a slow machine: every setup slower, the ratios as in the other rounds.
  const rounds = [
    [run("plain", 500, 0.3), run("cache", 300, 1.2)],
    [run("plain", 250, 0.5), run("cache", 150, 1.6)],
    [run("plain", 400, 0.4), run("cache", 200, 1.0)],
  ];
  const [plainRow, cacheRow] = summariseRounds(rounds);
  assert.equal(plainRow!.podsPerSecond, 400);
  assert.equal(plainRow!.vsPlain, 1);
  assert.equal(cacheRow!.podsPerSecond, 200);
  // Ratios 0.6, 0.6, 0.5: the median is 0.6, not 200/400.
  assert.equal(cacheRow!.vsPlain, 0.6);
  assert.deepEqual(cacheRow!.eachRound, [300, 150, 200]);
  // The detail columns come from the median round by rate (round 3 for cache: 200 pods/s).
  assert.equal(cacheRow!.connectionsToPodgate, 200);
  assert.deepEqual(cacheRow!.cpuMsPerPod, { podgate: 1.2 });
});

it("charges each component its CPU per bound pod less its idle rate over the run, and counts the cores kept busy", () => {
  // podgate: 0.1 s idle over 2 s (0.05 cores), then 4.5 s in a 10 s run for 1,000 pods: (4.5 - 0.5) s / 1,000 = 4 ms.
  const figures = cpuPerPod({ idleStart: { podgate: 1, etcd: 0 }, before: { podgate: 1.1, etcd: 0 }, after: { podgate: 5.6, etcd: 2 }, idleSeconds: 2, benchSeconds: 1, wallSeconds: 10, pods: 1000 });
  assert.deepEqual(figures, { podgate: 4, etcd: 2, bench: 1, total: 7, "busy cores": 0.75, "idle cores": 0.05 });
  assert.equal(cpuPerPod({ idleStart: {}, before: {}, after: { a: 1 }, idleSeconds: 2, benchSeconds: 0, wallSeconds: 1, pods: 0 })["a"], 1000, "no pod bound: per one pod, not a division by zero");
});

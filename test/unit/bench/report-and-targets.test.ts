import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { latencyPoint, summariseRounds, type AdmissionReport, type ScenarioResult, type ScenarioRound } from "../../../bench/admission.ts";
import type { ExtenderRow } from "../../../bench/extender.ts";
import { parseCpuinfo } from "../../../bench/machine.ts";
import { admissionRows, FIGURES_BEGIN, FIGURES_END, replaceFigures } from "../../../bench/report/render.ts";
import type { ApiserverReport, SetupSummary } from "../../../bench/apiserver.ts";
import { apiserverTargets, extenderTargets } from "../../../bench/report/targets.ts";
import { flowBlocker } from "../../../bench/run.ts";

const MIB = 2 ** 20;
const point = (fraction: number, p99: number, saturated = false) => ({ fraction, rate: 1000 * fraction, achieved: 1000 * fraction, p50: p99 / 4, p99, p999: p99 * 2, saturated });
const round = (throughput: number, p99: number, rss = 100 * MIB): ScenarioRound => ({ throughput, cpuUsPerOp: 1e6 / throughput, errors: 0, errorSamples: [], latency: [point(0.25, p99), point(0.5, p99), point(0.9, p99)], rssBytes: rss, maxRssBytes: rss });
const serverOf = (id: string) => (id === "floor" || id === "ceiling" ? id : id.endsWith("-alone") ? "webhooks" : "podgate");
const scenario = (id: string, rounds: ScenarioRound[]): ScenarioResult => ({ id, title: id, server: serverOf(id), requestsPerOp: 1, checks: [], rounds, ...summariseRounds(rounds) });

function report(mutate: number, validate: number, p99: number, rss: number): AdmissionReport {
  return {
    bodyBytes: 8619,
    pinning: { available: true, note: "pinned" },
    options: { rounds: 1, runMs: 1000, warmupMs: 100, connections: 16, rateConnections: 32 },
    floorThroughput: 1000,
    scenarios: [scenario("floor", [round(1000, 1)]), scenario("ceiling", [round(2000, 1)]), scenario("mutate", [round(mutate, p99, rss)]), scenario("validate", [round(validate, p99)])],
  };
}

describe("summariseRounds", () => {
  it("takes medians over rounds point by point and the highest memory", () => {
    const s = summariseRounds([round(100, 1, 10), round(300, 9, 30), round(200, 5, 20)]);
    assert.equal(s.throughput, 200);
    assert.deepEqual(s.latency.map((p) => p.p99), [5, 5, 5]);
    assert.equal(s.maxRssBytes, 30);
  });

  it("takes the GC figures' medians, and leaves them out when no round measured them", () => {
    const withGc = (r: ScenarioRound, share: number, pause: number): ScenarioRound => ({ ...r, gcShare: share, latency: r.latency.map((p) => ({ ...p, gcLongestMs: pause })) });
    const s = summariseRounds([withGc(round(100, 1), 0.01, 2), withGc(round(100, 1), 0.05, 12), withGc(round(100, 1), 0.03, 4)]);
    assert.equal(s.gcShare, 0.03);
    assert.deepEqual(s.latency.map((p) => p.gcLongestMs), [4, 4, 4]);
    const none = summariseRounds([round(100, 1)]);
    assert.ok(Number.isNaN(none.gcShare));
    const rows = admissionRows({ ...report(600, 500, 3, 100 * MIB), scenarios: [{ ...scenario("floor", [round(1000, 1)]), ...s }] });
    const gcColumns = (row: string[]) => row.slice(-3, -1);
    assert.deepEqual(gcColumns(rows[0]!), ["GC time @max", "longest GC pause ms @25/50/90%"]);
    assert.deepEqual(gcColumns(rows[1]!), ["3.0%", "4.00 / 4.00 / 4.00"]);
    assert.deepEqual(gcColumns(admissionRows(report(600, 500, 3, 100 * MIB))[1]!), ["-", "- / - / -"]);
  });

  it("calls a point saturated when most rounds were", () => {
    const a = round(100, 1);
    const b = { ...a, latency: a.latency.map((p) => ({ ...p, saturated: true })) };
    assert.deepEqual(summariseRounds([a, b, b]).latency.map((p) => p.saturated), [true, true, true]);
    assert.deepEqual(summariseRounds([a, a, b]).latency.map((p) => p.saturated), [false, false, false]);
  });
});

describe("latencyPoint", () => {
  const run = { ops: 1000, errors: 0, errorSamples: [], unsent: 0, elapsedMs: 1000, throughput: 1000, latency: { p50: 1, p90: 2, p99: 3, p999: 4, max: 5 } };
  it("is steady when the offered operations were done", () => assert.equal(latencyPoint(0.5, 1000, run).saturated, false));
  it("is saturated when fewer than 95% were done or some were never sent", () => {
    assert.equal(latencyPoint(0.5, 1000, { ...run, ops: 900 }).saturated, true);
    assert.equal(latencyPoint(0.5, 1000, { ...run, unsent: 1 }).saturated, true);
  });
});

describe("targets", () => {
  const setup = (id: string, fields: Partial<SetupSummary>): SetupSummary => ({
    id, name: id, p50: 3, p90: 4, p99: 8, createsPerSecond: 400, eachRound: [400], vsA: 1, vsB: 1, p50AddedOverA: 0, p50AddedOverB: 0,
    cpuPer1000: { "kube-apiserver": 2, etcd: 0.5, podgate: 0 }, webhookCallsPerCreate: {}, ...fields,
  });
  const apiserver = (setups: SetupSummary[]): ApiserverReport => ({ options: { rounds: 1, sequential: 1, concurrent: 1, creators: 8, warmup: 1 }, loadAverages: [1], setups, rounds: [] });
  const meeting = [
    setup("A", {}),
    setup("B", {}),
    setup("C", { vsB: 0.8, cpuPer1000: { "kube-apiserver": 4, etcd: 0.5, podgate: 0 } }),
    setup("D", { vsB: 0.9, p50AddedOverB: 1, webhookCallsPerCreate: { "policy.policy.podgate.dev": 1 } }),
    setup("E", { vsA: 0.75, p50AddedOverA: 2, webhookCallsPerCreate: { "podgate.mutate.podgate.dev": 1, "policy.policy.podgate.dev": 1 } }),
  ];

  it("pass at each bound of the issue's apiserver targets", () => {
    const checks = apiserverTargets(apiserver(meeting));
    assert.equal(checks.length, 7);
    assert.ok(checks.every((t) => t.met), JSON.stringify(checks.filter((t) => !t.met)));
  });

  it("name each miss with the measured figure", () => {
    const missing = meeting.map((s) => ({ ...s, vsA: s.vsA - 0.01, vsB: s.vsB - 0.01, p50AddedOverA: s.p50AddedOverA + 0.01, p50AddedOverB: s.p50AddedOverB + 0.01 }));
    missing[2] = { ...missing[2]!, cpuPer1000: { "kube-apiserver": 4.1, etcd: 0.5, podgate: 0 } };
    missing[4] = { ...missing[4]!, webhookCallsPerCreate: { "sidecar.mutate.podgate.dev": 2, "defaults.mutate.podgate.dev": 1, "policy.policy.podgate.dev": 1 } };
    const checks = apiserverTargets(apiserver(missing));
    assert.ok(checks.every((t) => !t.met), JSON.stringify(checks.filter((t) => t.met)));
    assert.equal(checks[0]!.measured, "2.05x (4.10 vs 2.00 ms)");
    assert.match(checks.find((t) => t.target.includes("one mutating call"))!.measured, /^3 \(sidecar.mutate.podgate.dev 2, /);
  });

  it("leave out what the run did not measure", () => {
    assert.deepEqual(apiserverTargets(apiserver([setup("A", {})])), []);
  });

  it("check the extender's node-cache time at 5,000 nodes", () => {
    const row = (nodes: number, cache: number): ExtenderRow => ({ nodes, passed: nodes, cacheBodyBytes: 1, cacheFilterMs: cache / 2, cachePrioritizeMs: cache / 2, fullBodyBytes: 1, fullFilterMs: 1, fullFilterColdMs: 1, baselineFilterMs: 1, fullPrioritizeMs: 1, baselinePrioritizeMs: 1 });
    assert.deepEqual(extenderTargets([row(100, 9), row(5000, 2)]).map((c) => c.met), [true]);
    assert.deepEqual(extenderTargets([row(5000, 2.1)]).map((c) => c.met), [false]);
  });
});

describe("report rendering", () => {
  it("puts every scenario in the table with its ratio to the floor", () => {
    const rows = admissionRows(report(600, 500, 3, 100 * MIB));
    assert.deepEqual(rows.map((r) => r[0]), ["scenario", "floor", "ceiling", "mutate", "validate"]);
    assert.deepEqual(rows.map((r) => r[2]), ["vs floor", "100%", "200%", "60%", "50%"]);
  });

  it("replaces only the figures between the markers", () => {
    const doc = `# T\nprose\n${FIGURES_BEGIN}\nold\n${FIGURES_END}\nmore prose\n`;
    assert.equal(replaceFigures(doc, "new"), `# T\nprose\n${FIGURES_BEGIN}\nnew\n${FIGURES_END}\nmore prose\n`);
    assert.throws(() => replaceFigures("# no markers", "x"), /has no <!-- bench:figures:begin/);
  });
});

describe("machine and flow", () => {
  it("reads the CPU model and MHz from /proc/cpuinfo", () => {
    assert.deepEqual(parseCpuinfo("processor\t: 0\nmodel name\t: AMD EPYC 7B13\ncpu MHz\t\t: 2449.998\n"), { model: "AMD EPYC 7B13", mhz: 2450 });
    assert.deepEqual(parseCpuinfo(""), {});
  });

  it("skips the flow, saying why, unless the binaries are built or --flow is given", () => {
    const all = () => true;
    assert.equal(flowBlocker(false, "/bin", all), undefined);
    assert.match(flowBlocker(false, "/cp", (p) => !p.endsWith("kwok"))!, /kwok missing in \/cp/);
    assert.equal(flowBlocker(true, "/cp", (p) => p.endsWith("flow.ts")), undefined);
    assert.match(flowBlocker(true, "/cp", () => false)!, /bench\/flow\.ts is not on this branch/);
  });
});

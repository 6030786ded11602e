// The whole flow on the real local control plane (test/harness):
//  1. pod-create latency through kube-apiserver with podgate's webhooks
//     registered vs. none (C concurrent creators; p50/p99 and what podgate adds);
//  2. scheduling throughput (pods/s bound) over a few hundred kwok nodes with
//     podgate as extender (node-cache mode, binding) vs. the plain scheduler;
//  3. create→Running per pod with the stage timeline;
//  4. with the real node (PODGATE_REAL_NODE, test/harness/realnode.ts): the
//     demo pod's create→Running/Ready on it, by stage, beside kwok's (bench/realnode.ts).
// Prints a table and writes JSON to bench/results/. Needs the binaries:
// controlplane/build.sh. Run: node bench/flow.ts [--quick] [--keep] (--keep: leave the work dir with every log)
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { CoreV1Api, EventsV1Api, type V1Pod } from "@kubernetes/client-node";
import { withHarness, type Harness } from "../test/harness/harness.ts";
import { readRealNodeMode, realNodePreflight } from "../test/harness/realnode.ts";
import { uniformNodes } from "../src/harness/nodes.ts";
import { hasSidecar, registerWebhooks, removeWebhooks } from "../test/harness/podgate.ts";
import { httpsGet, waitFor, type TlsClient } from "../src/harness/wait.ts";
import { INJECT_LABEL } from "../test/harness/webhooks.ts";
import { histogram, since, summaryMs } from "./prom.ts";
import { median } from "./stats.ts";
import { componentCpuSeconds } from "./process-cpu.ts";
import { formatRealNodeBench, realNodeBench } from "./realnode.ts";
import { PodRecorder } from "../src/harness/recorder.ts";
import { createToRunning, formatTimeline, type TimelineRow } from "../src/harness/timeline.ts";
import { commandLine } from "../test/support/command-line.ts";
import { REPO } from "../test/support/build.ts";

export interface FlowOptions {
  readonly nodes: number;
  readonly creators: number;
  readonly creates: number;
  readonly schedulePods: number;
  /** How long one scheduler configuration may take to bind its pods. */
  readonly scheduleDeadlineMs: number;
  readonly timelinePods: number;
  /** Rounds of the scheduling comparison (every setup once per round); ratios are taken within a round. */
  readonly scheduleRounds: number;
  /** Demo pods run one at a time on the real node (and again on kwok), when it runs. */
  readonly realNodePods: number;
}

const FULL: FlowOptions = { nodes: 300, creators: 8, creates: 400, schedulePods: 600, scheduleDeadlineMs: 90_000, timelinePods: 10, scheduleRounds: 3, realNodePods: 50 };
const QUICK: FlowOptions = { nodes: 100, creators: 4, creates: 100, schedulePods: 200, scheduleDeadlineMs: 30_000, timelinePods: 5, scheduleRounds: 1, realNodePods: 10 };

const run = promisify(execFile);
const IDLE_SAMPLE_MS = 2000;
const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const pod = (name: string, schedulerName?: string): V1Pod => ({
  metadata: { name },
  spec: { ...(schedulerName ? { schedulerName } : {}), terminationGracePeriodSeconds: 0, containers: [{ name: "app", image: "registry.k8s.io/pause:3.10", resources: { requests: { cpu: "10m", memory: "16Mi" } } }] },
});

async function namespace(core: CoreV1Api, name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name, labels: { [INJECT_LABEL.key]: INJECT_LABEL.value } } } });
  await waitFor(`serviceaccount ${name}/default`, 60_000, async () => (await core.readNamespacedServiceAccount({ name: "default", namespace: name })).metadata?.name);
  return name;
}

/** `creates` pods from `creators` concurrent loops; pods no scheduler serves, so only admission is measured. */
async function createLatency(core: CoreV1Api, ns: string, o: FlowOptions): Promise<{ p50: number; p99: number; mean: number; perSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: o.creators }, async () => {
      for (let i = next++; i < o.creates; i = next++) {
        const t = performance.now();
        await core.createNamespacedPod({ namespace: ns, body: pod(`c-${i}`, "nobody") });
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)), mean: round(latencies.reduce((a, b) => a + b, 0) / latencies.length), perSecond: round(o.creates / seconds) };
}

/** A scheduler configuration the flow bench compares; `config` is derived from podgate's `scheduler-config`. */
interface SchedulerSetup {
  readonly name: string;
  readonly config: (podgate: Record<string, unknown>) => Record<string, unknown>;
}

// scheduler_perf's client limits: the default 50 qps / burst 100 would cap the
// plain scheduler's Binding POSTs after 100 pods, not its algorithm.
const CLIENT = { clientConnection: { qps: 5000, burst: 5000 } };
const PLAIN = { apiVersion: "kubescheduler.config.k8s.io/v1", kind: "KubeSchedulerConfiguration" };
const withoutBind = (config: Record<string, unknown>) => ({
  ...config,
  extenders: (config["extenders"] as Record<string, unknown>[]).map((e) => Object.fromEntries(Object.entries(e).filter(([key]) => key !== "bindVerb"))),
});

export const SCHEDULERS: readonly SchedulerSetup[] = [
  { name: "no extender", config: () => ({ ...PLAIN, ...CLIENT }) },
  { name: "podgate filter+prioritize (node cache)", config: (podgate) => ({ ...withoutBind(podgate), ...CLIENT }) },
  { name: "podgate filter+prioritize+bind", config: (podgate) => ({ ...podgate, ...CLIENT }) },
];

const VERBS = ["filter", "prioritize", "bind"] as const;
const scrape = async (url: string, tls?: TlsClient) => {
  const { status, body } = url.startsWith("https:") ? await httpsGet(url, tls) : await fetch(url).then(async (r) => ({ status: r.status, body: await r.text() }));
  if (status !== 200) throw new Error(`GET ${url}: HTTP ${status}`);
  return body;
};

export interface SchedulingRun {
  readonly setup: string;
  readonly pods: number;
  readonly bound: number;
  /** All pods bound before the deadline. */
  readonly complete: boolean;
  readonly podsPerSecond: number;
  readonly seconds: number;
  /** Distinct TCP connections to podgate during the run (the scheduler's; the webhooks are not registered then). */
  readonly connectionsToPodgate: number;
  /** podgate's own time per verb call during the run (its histogram). */
  readonly podgateVerbs: Record<string, ReturnType<typeof summaryMs>>;
  /** kube-scheduler's metrics for the run: one scheduling attempt, and its algorithm part (filter + score, extenders included). */
  readonly schedulerMetrics: Record<string, ReturnType<typeof summaryMs>>;
  /**
   * CPU ms per bound pod of each component (its process group) and of this
   * bench process, from the scheduler's start to the last poll, less what the
   * component burns idle over as long (sampled just before); the scheduler's
   * start-up is included, alike in every setup. Also the cores kept busy in the
   * window and while idle.
   */
  readonly cpuMsPerPod: Record<string, number>;
}

/**
 * When the scheduler reported each pod of `ns` bound: its `Scheduled` events
 * (events.k8s.io/v1, emitted once the binding succeeded, with a sub-second
 * eventTime), one per pod. A watch can fall behind a burst of bindings; the
 * events are the scheduler's own record.
 */
async function scheduledTimes(events: EventsV1Api, ns: string): Promise<number[]> {
  const list = await events.listNamespacedEvent({ namespace: ns, fieldSelector: "reason=Scheduled" });
  const byPod = new Map<string, number>();
  for (const e of list.items) {
    const at = e.eventTime ? new Date(e.eventTime).getTime() : Number.NaN;
    const podName = e.regarding?.name;
    if (podName && Number.isFinite(at)) byPod.set(podName, Math.min(at, byPod.get(podName) ?? Infinity));
  }
  return [...byPod.values()].sort((a, b) => a - b);
}

/** The peer ends of TCP sockets to or from `port` on loopback, in any state (closed ones linger in TIME-WAIT). */
async function socketsOf(port: number): Promise<string[]> {
  try {
    const { stdout } = await run("ss", ["-Htan", `( dport = :${port} or sport = :${port} )`]);
    return stdout.split("\n").flatMap((line) => {
      const [, , , local, peer] = line.trim().split(/\s+/);
      return local && peer ? [local.endsWith(`:${port}`) ? peer : local] : [];
    });
  } catch {
    return []; // no ss here: the count is left out
  }
}

/**
 * Pods created while the scheduler is down, then the scheduler started with
 * `setup`: pods/s between the first and the last `Scheduled` event, waiting
 * at most `deadlineMs` (a slow configuration reports what it bound).
 */
async function schedulingThroughput(h: Harness, core: CoreV1Api, ns: string, setup: SchedulerSetup, count: number, deadlineMs: number): Promise<SchedulingRun> {
  const events = h.plane.kubeConfig.makeApiClient(EventsV1Api);
  const podgatePort = Number(new URL(h.podgate.url).port);
  await h.supervisor.stopOne("kube-scheduler");
  for (let i = 0; i < count; i += 25) await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) => core.createNamespacedPod({ namespace: ns, body: pod(`s-${i + j}`) })));
  const before = await scrape(h.podgate.metricsUrl);
  const earlier = new Set(await socketsOf(podgatePort));
  const peers = new Set<string>();
  // What the components burn with nothing to schedule (kwok's node heartbeats, leases, watches),
  // so a slower run is not charged for idling longer.
  const idleStart = componentCpuSeconds(h.supervisor.groups());
  await sleep(IDLE_SAMPLE_MS);
  const cpuBefore = componentCpuSeconds(h.supervisor.groups());
  const benchCpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const port = await h.restartScheduler(setup.config(h.schedulerConfig));
  const deadline = Date.now() + deadlineMs;
  const times = await waitFor(`${count} pods bound`, deadlineMs + 60_000, async () => {
    for (const peer of await socketsOf(podgatePort)) if (!earlier.has(peer)) peers.add(peer);
    const seen = await scheduledTimes(events, ns);
    return seen.length >= count || Date.now() > deadline ? seen : undefined;
  }, () => h.supervisor.assertAlive(), 500);
  const cpuAfter = componentCpuSeconds(h.supervisor.groups());
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const after = await scrape(h.podgate.metricsUrl);
  // The scheduler serves a self-signed certificate: no CA to verify it by; the admin certificate authorizes /metrics.
  const schedulerMetrics = await scrape(`https://127.0.0.1:${port}/metrics`, { cert: h.plane.pki.adminCert, key: h.plane.pki.adminKey });
  const seconds = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : NaN;
  const cpuMsPerPod = cpuPerPod({ idleStart, before: cpuBefore, after: cpuAfter, idleSeconds: IDLE_SAMPLE_MS / 1000, benchSeconds: (benchCpu.user + benchCpu.system) / 1e6, wallSeconds, pods: times.length });
  const verb = (v: string) => summaryMs(since(histogram(after, "podgate_extender_duration_seconds", { verb: v }), histogram(before, "podgate_extender_duration_seconds", { verb: v })));
  return {
    setup: setup.name,
    pods: count,
    bound: times.length,
    complete: times.length >= count,
    podsPerSecond: round((times.length - 1) / seconds),
    seconds: round(seconds, 2),
    connectionsToPodgate: peers.size,
    podgateVerbs: Object.fromEntries(VERBS.map((v) => [v, verb(v)]).filter(([, s]) => (s as ReturnType<typeof summaryMs>).calls > 0)),
    schedulerMetrics: {
      attempt: summaryMs(histogram(schedulerMetrics, "scheduler_scheduling_attempt_duration_seconds", { result: "scheduled" })),
      algorithm: summaryMs(histogram(schedulerMetrics, "scheduler_scheduling_algorithm_duration_seconds")),
    },
    cpuMsPerPod,
  };
}

/** CPU seconds per component read around one scheduling run; the bench process's own is measured apart. */
export interface CpuWindow {
  /** Before the idle sample, and after it (the run's start), and at the run's end. */
  readonly idleStart: Readonly<Record<string, number>>;
  readonly before: Readonly<Record<string, number>>;
  readonly after: Readonly<Record<string, number>>;
  readonly idleSeconds: number;
  readonly benchSeconds: number;
  readonly wallSeconds: number;
  readonly pods: number;
}

/**
 * CPU ms per bound pod of each component (and "bench"), less what it burns
 * idle over as long as the run, their total, and the cores kept busy in the
 * run and while idle.
 */
export function cpuPerPod(w: CpuWindow): Record<string, number> {
  const idleCores = Object.fromEntries(Object.entries(w.before).map(([name, s]) => [name, (s - (w.idleStart[name] ?? 0)) / w.idleSeconds]));
  const used = Object.fromEntries(Object.entries(w.after).map(([name, s]) => [name, s - (w.before[name] ?? 0)]));
  used["bench"] = w.benchSeconds;
  const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
  const perPod = (cpuSeconds: number) => round((cpuSeconds * 1000) / Math.max(1, w.pods), 2);
  const out = Object.fromEntries(Object.entries(used).map(([name, s]) => [name, perPod(s - (idleCores[name] ?? 0) * w.wallSeconds)]));
  out["total"] = round(sum(out), 2);
  // Cores kept busy on average over the window, idling included: near the core count, CPU is what bounds the rate.
  out["busy cores"] = round(sum(used) / w.wallSeconds, 2);
  out["idle cores"] = round(sum(idleCores), 2);
  return out;
}

/** One row per setup from every round's runs. */
export interface SchedulingSummary extends SchedulingRun {
  /** Median over the rounds of this setup's pods/s divided by the plain scheduler's in the same round. */
  readonly vsPlain: number;
  /** pods/s in each round. */
  readonly eachRound: readonly number[];
}

/**
 * Per setup: the median round (by pods/s) for the detail columns, the median
 * of the within-round ratios to the plain scheduler, and per-component CPU
 * medians. rounds[r][s] is setup s in round r; setup 0 is the plain scheduler.
 */
export function summariseRounds(rounds: readonly (readonly SchedulingRun[])[]): SchedulingSummary[] {
  return rounds[0]!.map((_, s) => {
    const runs = rounds.map((r) => r[s]!);
    const byRate = [...runs].sort((a, b) => a.podsPerSecond - b.podsPerSecond);
    const middle = byRate[(byRate.length - 1) >> 1]!;
    const components = [...new Set(runs.flatMap((r) => Object.keys(r.cpuMsPerPod)))];
    return {
      ...middle,
      podsPerSecond: round(median(runs.map((r) => r.podsPerSecond))),
      vsPlain: round(median(rounds.map((r) => r[s]!.podsPerSecond / r[0]!.podsPerSecond)), 3),
      eachRound: runs.map((r) => r.podsPerSecond),
      cpuMsPerPod: Object.fromEntries(components.map((c) => [c, round(median(runs.map((r) => r.cpuMsPerPod[c] ?? Number.NaN)), 2)])),
    };
  });
}

async function timeline(h: Harness, core: CoreV1Api, ns: string, count: number): Promise<TimelineRow[]> {
  const recorder = await PodRecorder.start(h.plane.kubeConfig, ns, h.podgate.logFile);
  try {
    for (let i = 0; i < count; i++) {
      const name = `t-${i}`;
      recorder.created(name, Date.now());
      await core.createNamespacedPod({ namespace: ns, body: pod(name) });
      await waitFor(`${name} Running`, 30_000, async () => (await core.readNamespacedPod({ name, namespace: ns })).status?.phase === "Running", undefined, 20);
    }
    await sleep(500); // let the watch deliver Ready
    return await recorder.rows(Array.from({ length: count }, (_, i) => `t-${i}`));
  } finally {
    recorder.stop();
  }
}

const format = (rows: readonly (readonly string[])[]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
};

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<Record<string, unknown>> {
  const o = argv.includes("--quick") ? QUICK : FULL;
  const mode = readRealNodeMode();
  const noRealNode = mode === "0" ? "PODGATE_REAL_NODE=0" : realNodePreflight();
  if (noRealNode !== undefined && mode === "1") throw new Error(`PODGATE_REAL_NODE=1 but the real node cannot run here: ${noRealNode}`);
  if (noRealNode !== undefined) process.stderr.write(`[flow] no real node: ${noRealNode}\n`);
  const log = (m: string) => process.stderr.write(`[flow] ${m}\n`);
  return withHarness({ nodes: uniformNodes(o.nodes), keep: argv.includes("--keep"), log, realNode: noRealNode === undefined }, async (h) => {
    const core = h.plane.kubeConfig.makeApiClient(CoreV1Api);
    process.stderr.write(`[flow] create latency, webhooks registered (${o.creates} creates, ${o.creators} creators)\n`);
    const withWebhooks = await createLatency(core, await namespace(core, "bench-create-with"), o);
    await removeWebhooks(h.plane);
    const probe = await namespace(core, "bench-probe");
    await waitFor("the webhooks to be gone", 30_000, async () => !hasSidecar(await core.createNamespacedPod({ namespace: probe, body: pod("probe"), dryRun: "All" })));
    process.stderr.write("[flow] create latency, no webhooks\n");
    const without = await createLatency(core, await namespace(core, "bench-create-none"), o);
    // Rounds interleave the setups, so a slow spell of the machine hits all of them alike.
    const rounds: SchedulingRun[][] = [];
    for (let round = 0; round < o.scheduleRounds; round++) {
      const runs: SchedulingRun[] = [];
      for (const [i, setup] of SCHEDULERS.entries()) {
        process.stderr.write(`[flow] round ${round + 1}/${o.scheduleRounds}: scheduling ${o.schedulePods} pods over ${o.nodes} nodes: ${setup.name}\n`);
        runs.push(await schedulingThroughput(h, core, await namespace(core, `bench-sched-${round}-${i}`), setup, o.schedulePods, o.scheduleDeadlineMs));
      }
      rounds.push(runs);
    }
    const scheduling = summariseRounds(rounds);
    await registerWebhooks(h.plane, h.podgate);
    await waitFor("the webhooks to be live again", 30_000, async () => hasSidecar(await core.createNamespacedPod({ namespace: probe, body: pod("probe"), dryRun: "All" })));
    process.stderr.write(`[flow] create→Running timeline (${o.timelinePods} pods, webhooks + extender)\n`);
    const rows = await timeline(h, core, await namespace(core, "bench-timeline"), o.timelinePods);
    const latencies = rows.map((r) => createToRunning(r.stages)).filter((l) => l !== undefined).sort((a, b) => a - b);
    const realNode = h.realNode ? await realNodeBench(h, o.realNodePods, log) : undefined;

    const result = {
      options: o,
      node: process.version,
      createLatencyMs: { withWebhooks, without, addedP50: round(withWebhooks.p50 - without.p50), addedP99: round(withWebhooks.p99 - without.p99) },
      scheduling: { nodes: o.nodes, pods: o.schedulePods, runs: scheduling, rounds },
      createToRunningMs: { p50: percentile(latencies, 50), max: latencies.at(-1) },
      timeline: rows,
      realNode: realNode ?? { ran: false, reason: noRealNode },
      harnessStartupMs: h.timings,
    };
    const table = [
      ["measure", "no podgate", "podgate", "added"],
      [`create p50 ms (${o.creators} creators)`, String(without.p50), String(withWebhooks.p50), String(result.createLatencyMs.addedP50)],
      [`create p99 ms`, String(without.p99), String(withWebhooks.p99), String(result.createLatencyMs.addedP99)],
      ["creates/s", String(without.perSecond), String(withWebhooks.perSecond), ""],
    ];
    const ms = (s: ReturnType<typeof summaryMs> | undefined) => (s && s.calls > 0 ? `${s.meanMs} (p99 <= ${s.p99LeMs})` : "-");
    const sched = [
      [`scheduler (${o.nodes} nodes, ${o.schedulePods} pods; median of ${o.scheduleRounds})`, "pods/s bound", "each round", "vs none", "attempt ms", "algorithm ms", ...VERBS.map((v) => `podgate ${v} ms`), "connections"],
      ...result.scheduling.runs.map((r) => [
        r.setup,
        `${r.podsPerSecond}${r.complete ? "" : ` (${r.bound} of ${r.pods} in ${r.seconds} s)`}`,
        r.eachRound.map((p) => `${p}`).join(" / "),
        `${Math.round(r.vsPlain * 100)}%`,
        ms(r.schedulerMetrics["attempt"]),
        ms(r.schedulerMetrics["algorithm"]),
        ...VERBS.map((v) => ms(r.podgateVerbs[v])),
        String(r.connectionsToPodgate),
      ]),
    ];
    const components = [...new Set(result.scheduling.runs.flatMap((r) => Object.keys(r.cpuMsPerPod)))];
    const cpu = [["CPU ms per bound pod", ...components], ...result.scheduling.runs.map((r) => [r.setup, ...components.map((c) => String(r.cpuMsPerPod[c] ?? "-"))])];
    process.stdout.write(
      `\nwhole flow on the local control plane (${process.version})\n${format(table)}\n\n${format(sched)}\n(pods/s and vs none: medians over the rounds, each ratio taken within its round; the other columns from the median round: mean, and the histogram bucket holding p99)\n\n${format(cpu)}\n(medians over the rounds)\n`,
    );
    process.stdout.write(`\ncreate→Running (webhooks + extender): p50 ${result.createToRunningMs.p50} ms, max ${result.createToRunningMs.max} ms\n${formatTimeline(rows)}\n`);
    process.stdout.write(`\n${realNode ? formatRealNodeBench(realNode) : `real node: not run (${noRealNode})`}\n`);
    const dir = join(REPO, "bench/results");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `flow-${new Date().toISOString().replaceAll(":", "-")}.json`);
    await writeFile(file, JSON.stringify(result, null, 2));
    process.stdout.write(`\nwrote ${file}\n`);
    return result;
  });
}

if (import.meta.main) {
  const { values } = commandLine(
    "usage: node bench/flow.ts [--quick] [--keep]\n  --quick  fewer nodes and pods\n  --keep   leave the work dir with every log\nStarts the local control plane (controlplane/build.sh builds it) and measures the whole flow.",
    { options: { quick: { type: "boolean" }, keep: { type: "boolean" } } },
  );
  await main([...(values.quick ? ["--quick"] : []), ...(values.keep ? ["--keep"] : [])]);
}

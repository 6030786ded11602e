// The whole flow on the real local control plane (test/harness):
//  1. pod-create latency through kube-apiserver with podgate's webhooks
//     registered vs. none (C concurrent creators; p50/p99 and what podgate adds);
//  2. scheduling throughput (pods/s bound) over a few hundred kwok nodes with
//     podgate as extender (node-cache mode, binding) vs. the plain scheduler;
//  3. create→Running per pod with the stage timeline.
// Prints a table and writes JSON to bench/results/. Needs the binaries:
// test/controlplane/build.sh. Run: node bench/flow.ts [--quick]
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { REPO } from "../test/harness/controlplane.ts";
import { withHarness, type Harness } from "../test/harness/harness.ts";
import { uniformNodes } from "../test/harness/nodes.ts";
import { hasSidecar, registerWebhooks, removeWebhooks } from "../test/harness/podgate.ts";
import { waitFor } from "../test/harness/wait.ts";
import { INJECT_LABEL } from "../test/harness/webhooks.ts";
import { PodRecorder } from "../test/e2e/support/recorder.ts";
import { createToRunning, formatTimeline, type TimelineRow } from "../test/e2e/support/timeline.ts";

export interface FlowOptions {
  readonly nodes: number;
  readonly creators: number;
  readonly creates: number;
  readonly schedulePods: number;
  readonly timelinePods: number;
}

const FULL: FlowOptions = { nodes: 300, creators: 8, creates: 400, schedulePods: 300, timelinePods: 10 };
const QUICK: FlowOptions = { nodes: 100, creators: 4, creates: 100, schedulePods: 100, timelinePods: 5 };

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

/**
 * Pods created while the scheduler is down, then the scheduler started:
 * pods/s between the first and the last binding the watch sees.
 */
async function schedulingThroughput(h: Harness, core: CoreV1Api, ns: string, extender: boolean, count: number): Promise<{ podsPerSecond: number; seconds: number }> {
  await h.supervisor.stopOne("kube-scheduler");
  const recorder = await PodRecorder.start(h.plane.kubeConfig, ns);
  try {
    for (let i = 0; i < count; i += 25) await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, j) => core.createNamespacedPod({ namespace: ns, body: pod(`s-${i + j}`) })));
    await h.restartScheduler(extender);
    await waitFor(`${count} pods bound`, 300_000, () => Promise.resolve(recorder.boundTimes().length >= count), () => h.supervisor.assertAlive(), 200);
    const times = recorder.boundTimes().sort((a, b) => a - b);
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    return { podsPerSecond: round((count - 1) / seconds), seconds: round(seconds, 2) };
  } finally {
    recorder.stop();
  }
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

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<Record<string, unknown>> {
  const o = argv.includes("--quick") ? QUICK : FULL;
  return withHarness({ nodes: uniformNodes(o.nodes), log: (m) => process.stderr.write(`[flow] ${m}\n`) }, async (h) => {
    const core = h.plane.kubeConfig.makeApiClient(CoreV1Api);
    process.stderr.write(`[flow] create latency, webhooks registered (${o.creates} creates, ${o.creators} creators)\n`);
    const withWebhooks = await createLatency(core, await namespace(core, "bench-create-with"), o);
    await removeWebhooks(h.plane);
    const probe = await namespace(core, "bench-probe");
    await waitFor("the webhooks to be gone", 30_000, async () => !hasSidecar(await core.createNamespacedPod({ namespace: probe, body: pod("probe"), dryRun: "All" })));
    process.stderr.write("[flow] create latency, no webhooks\n");
    const without = await createLatency(core, await namespace(core, "bench-create-none"), o);
    process.stderr.write(`[flow] scheduling ${o.schedulePods} pods over ${o.nodes} nodes, plain scheduler\n`);
    const plain = await schedulingThroughput(h, core, await namespace(core, "bench-sched-plain"), false, o.schedulePods);
    process.stderr.write("[flow] scheduling with podgate as extender\n");
    const extended = await schedulingThroughput(h, core, await namespace(core, "bench-sched-podgate"), true, o.schedulePods);
    await registerWebhooks(h.plane, h.podgate);
    await waitFor("the webhooks to be live again", 30_000, async () => hasSidecar(await core.createNamespacedPod({ namespace: probe, body: pod("probe"), dryRun: "All" })));
    process.stderr.write(`[flow] create→Running timeline (${o.timelinePods} pods, webhooks + extender)\n`);
    const rows = await timeline(h, core, await namespace(core, "bench-timeline"), o.timelinePods);
    const latencies = rows.map((r) => createToRunning(r.stages)).filter((l) => l !== undefined).sort((a, b) => a - b);

    const result = {
      options: o,
      node: process.version,
      createLatencyMs: { withWebhooks, without, addedP50: round(withWebhooks.p50 - without.p50), addedP99: round(withWebhooks.p99 - without.p99) },
      scheduling: { nodes: o.nodes, pods: o.schedulePods, plain, withPodgate: extended },
      createToRunningMs: { p50: percentile(latencies, 50), max: latencies.at(-1) },
      timeline: rows,
      harnessStartupMs: h.timings,
    };
    const table = [
      ["measure", "no podgate", "podgate", "added"],
      [`create p50 ms (${o.creators} creators)`, String(without.p50), String(withWebhooks.p50), String(result.createLatencyMs.addedP50)],
      [`create p99 ms`, String(without.p99), String(withWebhooks.p99), String(result.createLatencyMs.addedP99)],
      ["creates/s", String(without.perSecond), String(withWebhooks.perSecond), ""],
      [`pods/s bound (${o.nodes} nodes, ${o.schedulePods} pods)`, String(plain.podsPerSecond), String(extended.podsPerSecond), ""],
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    process.stdout.write(`\nwhole flow on the local control plane (${process.version})\n${table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n")}\n`);
    process.stdout.write(`\ncreate→Running (webhooks + extender): p50 ${result.createToRunningMs.p50} ms, max ${result.createToRunningMs.max} ms\n${formatTimeline(rows)}\n`);
    const dir = join(REPO, "bench/results");
    await mkdir(dir, { recursive: true });
    const file = join(dir, `flow-${new Date().toISOString().replaceAll(":", "-")}.json`);
    await writeFile(file, JSON.stringify(result, null, 2));
    process.stdout.write(`\nwrote ${file}\n`);
    return result;
  });
}

if (import.meta.main) await main();

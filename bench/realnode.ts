// create→Running and create→Ready of the seeds' demo pod on the real node
// (kubelet + containerd + runc), beside the same pod on a kwok node, one pod
// at a time, in the flow bench's harness. Each real pod's time is split into
// stages: admission (podgate's webhooks, persisted), scheduling (podgate's
// filter/prioritize/bind), the kubelet until the init container ran
// (sandbox, network, init start), until the native sidecar started (the
// init container's exit is seen at the generic PLEG's next relist, every
// second), until the app started, and until Ready (probe, status, watch).
// Container stages are their first log line's CRI timestamp (containerd's,
// ns precision).
import { CoreV1Api } from "@kubernetes/client-node";
import type { Harness } from "../test/harness/harness.ts";
import { realNodeEnvironment } from "../test/harness/realnode.ts";
import { waitFor } from "../src/harness/wait.ts";
import { INJECT_LABEL } from "../test/harness/webhooks.ts";
import { demoPod, type RealNodeEnvironment } from "../test/harness/demo-pod.ts";
import { isReady, PodRecorder } from "../src/harness/recorder.ts";
import type { PodStages } from "../src/harness/timeline.ts";

const SIDECAR = "log-shipper";
/** Stage boundaries of a real pod, in order; each segment ends at its key. */
export const SEGMENTS = [
  ["admission", "created", "persisted"],
  ["scheduling", "persisted", "bound"],
  ["kubelet: sandbox + init ran", "bound", "initRan"],
  ["init exit seen → sidecar started", "initRan", "sidecarStarted"],
  ["sidecar → app started", "sidecarStarted", "appStarted"],
  ["app started → Ready", "appStarted", "ready"],
] as const;

export type RealPodStages = PodStages & { initRan?: number; sidecarStarted?: number; appStarted?: number };

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface RealNodeBench {
  readonly pods: number;
  readonly real: { readonly createToRunning: Percentiles; readonly createToReady: Percentiles; readonly segments: Record<string, Percentiles & { readonly shareOfP50: number }> };
  readonly kwok: { readonly createToRunning: Percentiles; readonly createToReady: Percentiles };
  readonly nodeReadyMs: number | undefined;
  readonly stages: readonly RealPodStages[];
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** p50/p99/max of the defined values, rounded to ms. */
export function percentiles(values: readonly (number | undefined)[]): Percentiles {
  const sorted = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)), max: Math.round(sorted.at(-1) ?? NaN) };
}

/** Each segment's p50/p99 over the pods, and its p50's share of the p50 create→Ready. */
export function segmentSummary(stages: readonly RealPodStages[]): RealNodeBench["real"]["segments"] {
  const total = percentiles(stages.map((s) => (s.ready !== undefined && s.created !== undefined ? s.ready - s.created : undefined))).p50;
  return Object.fromEntries(
    SEGMENTS.map(([name, from, to]) => {
      const p = percentiles(stages.map((s) => (s[from] !== undefined && s[to] !== undefined ? s[to] - s[from] : undefined)));
      return [name, { ...p, shareOfP50: Math.round((p.p50 / total) * 1000) / 10 }];
    }),
  );
}

async function namespace(core: CoreV1Api, name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name, labels: { [INJECT_LABEL.key]: INJECT_LABEL.value } } } });
  await waitFor(`serviceaccount ${name}/default`, 60_000, async () => (await core.readNamespacedServiceAccount({ name: "default", namespace: name })).metadata?.name);
  return name;
}

/** The first log line's CRI timestamp of a container whose text contains `marker`. */
async function firstLine(core: CoreV1Api, ns: string, pod: string, container: string, marker: string): Promise<number | undefined> {
  const text = await core.readNamespacedPodLog({ name: pod, namespace: ns, container, timestamps: true });
  const line = text.split("\n").find((l) => l.includes(marker));
  return line ? Date.parse(line.slice(0, line.indexOf(" "))) : undefined;
}

/** One pod at a time: create, wait Ready, read its stages, delete it and wait until it is gone. */
async function oneByOne(h: Harness, core: CoreV1Api, ns: string, count: number, onRealNode: boolean): Promise<RealPodStages[]> {
  const real: RealNodeEnvironment = realNodeEnvironment(h.realNode!);
  const recorder = await PodRecorder.start(h.plane.kubeConfig, ns, h.podgate.logFile);
  const out: RealPodStages[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const name = `demo-${i}`;
      const created = Date.now();
      recorder.created(name, created);
      await core.createNamespacedPod({ namespace: ns, body: demoPod(name, ns, real, { onRealNode }) });
      await waitFor(`${ns}/${name} Ready`, 60_000, async () => isReady(await core.readNamespacedPod({ name, namespace: ns })), () => h.supervisor.assertAlive(), 20);
      const stages: RealPodStages = { ...(await recorder.rows([name]))[0]!.stages };
      if (onRealNode) {
        stages.initRan = await firstLine(core, ns, name, "init", "init container ran");
        stages.sidecarStarted = await firstLine(core, ns, name, SIDECAR, "log-shipper: started");
        stages.appStarted = await firstLine(core, ns, name, "app", "listening on");
      }
      out.push(stages);
      await core.deleteNamespacedPod({ name, namespace: ns });
      await waitFor(`${ns}/${name} gone`, 60_000, async () => (await core.listNamespacedPod({ namespace: ns, fieldSelector: `metadata.name=${name}` })).items.length === 0, undefined, 100);
    }
    return out;
  } finally {
    recorder.stop();
  }
}

const span = (s: PodStages, to: "running" | "ready") => (s[to] !== undefined && s.created !== undefined ? s[to] - s.created : undefined);

export async function realNodeBench(h: Harness, count: number, log: (m: string) => void): Promise<RealNodeBench> {
  const core = h.plane.kubeConfig.makeApiClient(CoreV1Api);
  log(`real node: ${count} demo pods one at a time on ${h.realNode!.name}`);
  const real = await oneByOne(h, core, await namespace(core, "bench-realnode"), count, true);
  log(`real node: the same pod ${count} times on kwok nodes`);
  const kwok = await oneByOne(h, core, await namespace(core, "bench-realnode-kwok"), count, false);
  return {
    pods: count,
    real: { createToRunning: percentiles(real.map((s) => span(s, "running"))), createToReady: percentiles(real.map((s) => span(s, "ready"))), segments: segmentSummary(real) },
    kwok: { createToRunning: percentiles(kwok.map((s) => span(s, "running"))), createToReady: percentiles(kwok.map((s) => span(s, "ready"))) },
    nodeReadyMs: h.realNode!.timings["node Ready"],
    stages: real,
  };
}

const pad = (rows: readonly (readonly string[])[]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ")).join("\n");
};

export function formatRealNodeBench(b: RealNodeBench): string {
  const p = (x: Percentiles) => [String(x.p50), String(x.p99), String(x.max)];
  return [
    `the demo pod (init container, native sidecar, app with a readiness probe), ${b.pods} pods one at a time; real node Ready ${b.nodeReadyMs ?? "-"} ms after kubelet started`,
    pad([
      ["ms", "p50", "p99", "max"],
      ["real node create→Running", ...p(b.real.createToRunning)],
      ["real node create→Ready", ...p(b.real.createToReady)],
      ["kwok create→Running", ...p(b.kwok.createToRunning)],
      ["kwok create→Ready", ...p(b.kwok.createToReady)],
    ]),
    "",
    pad([["real node stage", "p50 ms", "p99 ms", "share of p50 create→Ready"], ...Object.entries(b.real.segments).map(([name, s]) => [name, String(s.p50), String(s.p99), `${s.shareOfP50}%`])]),
  ].join("\n");
}

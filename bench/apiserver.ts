// The apiserver part of `npm run bench`: what a pod create costs through the
// real kube-apiserver (test/harness) with each admission setup a user could
// pick instead of another, in interleaved rounds so a slow spell of the
// machine hits every setup alike:
//   A  no admission policy;
//   B  in-tree PodSecurity, enforce=restricted;
//   C  `podgate export vap -l pss-baseline pss-restricted` (native VAPs);
//   C1 the same with --separate, one VAP per policy;
//   D  podgate's validating webhook with the same library;
//   E  podgate's sidecar + defaults + D;
//   F  the sidecar and defaults as native MutatingAdmissionPolicies (`podgate
//      export map -c`) + D: E's mutations with no mutating webhook;
//   F1 F's policies + C's VAPs: all of it native, no webhook at all;
//   G  D and E with podgate requiring the apiserver's client certificate.
// Pods carry a scheduling gate: the scheduler never sees them.
import { Agent } from "node:https";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { parse, parseAllDocuments, stringify } from "yaml";
import { withHarness, type Harness } from "../test/harness/harness.ts";
import { podgateCli, startPodgate, type Podgate } from "../src/harness/podgate.ts";
import { waitFor } from "../src/harness/wait.ts";
import { call, type CallResult } from "../src/harness/https.ts";
import { componentCpuSeconds } from "./process-cpu.ts";
import { samples } from "./prom.ts";
import { median, percentile } from "./stats.ts";

export interface ApiserverOptions {
  readonly rounds: number;
  /** Creates one after another per setup and round: the latency percentiles. */
  readonly sequential: number;
  /** Creates from `creators` concurrent loops per setup and round: the throughput. */
  readonly concurrent: number;
  readonly creators: number;
  readonly warmup: number;
}

export const FULL: ApiserverOptions = { rounds: 5, sequential: 300, concurrent: 400, creators: 8, warmup: 30 };
export const QUICK: ApiserverOptions = { rounds: 1, sequential: 100, concurrent: 200, creators: 8, warmup: 20 };

const BENCH_CONFIG = new URL("apiserver/podgate.yaml", import.meta.url).pathname;
const CONFIGURATION_NAME = "podgate-bench";
const IDLE_SAMPLE_MS = 3000;
const COMPONENTS = ["kube-apiserver", "etcd", "podgate"] as const;
const SIDECAR = "log-shipper";

/** Who refused the probe pod: the mark of which admission path is live. */
type Denier = "PodSecurity" | "ValidatingAdmissionPolicy" | "webhook";

interface SetupObjects {
  readonly vap: KubernetesObject[];
  readonly map: KubernetesObject[];
  readonly vapSeparate: KubernetesObject[];
  readonly validating: (podgate: Podgate) => KubernetesObject[];
  readonly mutatingAndValidating: (podgate: Podgate) => KubernetesObject[];
}

interface Setup {
  readonly id: string;
  readonly name: string;
  readonly namespaceLabels?: Readonly<Record<string, string>>;
  /** The objects registered for the setup's run and removed after it. */
  readonly objects: (objects: SetupObjects, podgate: { plain: Podgate; mtls: Podgate }) => KubernetesObject[];
  /** How the setup shows itself on a dry-run: who denies a privileged pod, and whether a compliant one gets the sidecar. */
  readonly denier?: Denier;
  readonly sidecar: boolean;
}

export const SETUPS: readonly Setup[] = [
  { id: "A", name: "no admission policy", objects: () => [], sidecar: false },
  {
    id: "B",
    name: "in-tree PodSecurity, enforce=restricted",
    namespaceLabels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" },
    objects: () => [],
    denier: "PodSecurity",
    sidecar: false,
  },
  { id: "C", name: "podgate export vap (pss-baseline + pss-restricted)", objects: (o) => o.vap, denier: "ValidatingAdmissionPolicy", sidecar: false },
  { id: "C1", name: "C with --separate (one VAP per policy)", objects: (o) => o.vapSeparate, denier: "ValidatingAdmissionPolicy", sidecar: false },
  { id: "D", name: "podgate validating webhook, same library", objects: (o, p) => o.validating(p.plain), denier: "webhook", sidecar: false },
  { id: "E", name: "podgate sidecar + defaults + D", objects: (o, p) => o.mutatingAndValidating(p.plain), denier: "webhook", sidecar: true },
  { id: "F", name: "sidecar + defaults as native MutatingAdmissionPolicies + D", objects: (o, p) => [...o.map, ...o.validating(p.plain)], denier: "webhook", sidecar: true },
  { id: "F1", name: "F's policies + C's VAPs: no webhook at all", objects: (o) => [...o.map, ...o.vap], denier: "ValidatingAdmissionPolicy", sidecar: true },
  { id: "G-D", name: "D, podgate requiring a client certificate", objects: (o, p) => o.validating(p.mtls), denier: "webhook", sidecar: false },
  { id: "G-E", name: "E, podgate requiring a client certificate", objects: (o, p) => o.mutatingAndValidating(p.mtls), denier: "webhook", sidecar: true },
];

/** A pod that passes pss-restricted, held from scheduling. */
export function compliantPod(): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "b-" },
    spec: {
      schedulingGates: [{ name: "bench.podgate.dev/hold" }],
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "app",
          image: "registry.k8s.io/pause:3.10",
          resources: { requests: { cpu: "10m", memory: "16Mi" } },
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
    },
  };
}

function privilegedPod(): Record<string, unknown> {
  const pod = compliantPod() as { spec: { containers: { securityContext: Record<string, unknown> }[] } };
  pod.spec.containers[0]!.securityContext = { privileged: true };
  return pod;
}

/** Which admission path refused a create, by the apiserver's message; undefined when it was allowed. */
export function denierOf(result: { status: number; text: string }): Denier | undefined {
  if (result.status === 201) return undefined;
  if (result.text.includes("violates PodSecurity")) return "PodSecurity";
  if (result.text.includes("ValidatingAdmissionPolicy")) return "ValidatingAdmissionPolicy";
  if (result.text.includes("admission webhook")) return "webhook";
  throw new Error(`create refused by something no setup registers (HTTP ${result.status}): ${result.text.slice(0, 300)}`);
}

/** The apiserver through one keep-alive agent with the admin certificate: what a client with a warm connection sees. */
class Api {
  private readonly agent: Agent;
  private readonly url: string;
  private readonly tls: { ca: string; cert: string; key: string };
  constructor(url: string, tls: { ca: string; cert: string; key: string }, sockets: number) {
    this.url = url;
    this.tls = tls;
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
  }
  static async open(h: Harness, sockets: number): Promise<Api> {
    const pki = h.plane.pki;
    const [ca, cert, key] = await Promise.all([readFile(pki.caCert, "utf8"), readFile(pki.adminCert, "utf8"), readFile(pki.adminKey, "utf8")]);
    return new Api(h.plane.apiUrl, { ca, cert, key }, sockets);
  }
  request(method: string, path: string, body?: unknown): Promise<CallResult> {
    return call(`${this.url}${path}`, { ...this.tls, method, agent: this.agent, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  }
  async createPod(namespace: string, pod: unknown, dryRun = false): Promise<CallResult> {
    return this.request("POST", `/api/v1/namespaces/${namespace}/pods${dryRun ? "?dryRun=All" : ""}`, pod);
  }
  close(): void {
    this.agent.destroy();
  }
}

/** One setup in one round. */
export interface SetupRun {
  readonly setup: string;
  readonly latenciesMs: { readonly p50: number; readonly p90: number; readonly p99: number };
  readonly createsPerSecond: number;
  /** CPU seconds per 1,000 creates, less what each component burns idle over as long. */
  readonly cpuPer1000: Readonly<Record<string, number>>;
  /** The apiserver's calls to podgate's webhooks per create (its own metric), by webhook name. */
  readonly webhookCallsPerCreate: Readonly<Record<string, number>>;
}

async function createNamespace(api: Api, name: string, labels: Readonly<Record<string, string>> = {}): Promise<void> {
  const created = await api.request("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  if (created.status !== 201) throw new Error(`create namespace ${name}: HTTP ${created.status}: ${created.text}`);
  // The ServiceAccount admission plugin refuses pods until the controller made "default".
  await waitFor(`serviceaccount ${name}/default`, 60_000, async () => (await api.request("GET", `/api/v1/namespaces/${name}/serviceaccounts/default`)).status === 200);
}

/** Deletes the pods at once (unscheduled pods go without grace), then the namespace, and waits until it is gone: the next run starts quiet. */
async function deleteNamespace(api: Api, name: string): Promise<void> {
  const pods = await api.request("DELETE", `/api/v1/namespaces/${name}/pods?gracePeriodSeconds=0`);
  if (pods.status !== 200) throw new Error(`delete pods of ${name}: HTTP ${pods.status}: ${pods.text}`);
  await api.request("DELETE", `/api/v1/namespaces/${name}`);
  await waitFor(`namespace ${name} gone`, 120_000, async () => (await api.request("GET", `/api/v1/namespaces/${name}`)).status === 404, undefined, 250);
}

async function createPods(api: Api, namespace: string, count: number, creators: number): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: creators }, async () => {
      while (next++ < count) {
        const started = performance.now();
        const created = await api.createPod(namespace, compliantPod());
        latencies.push(performance.now() - started);
        if (created.status !== 201) throw new Error(`create pod in ${namespace}: HTTP ${created.status}: ${created.text.slice(0, 300)}`);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

/** The apiserver's count of calls per webhook so far (apiserver_admission_webhook_admission_duration_seconds). */
async function webhookCalls(api: Api): Promise<Map<string, number>> {
  const metrics = await api.request("GET", "/metrics");
  if (metrics.status !== 200) throw new Error(`apiserver /metrics: HTTP ${metrics.status}`);
  const counts = new Map<string, number>();
  for (const { labels, value } of samples(metrics.text, "apiserver_admission_webhook_admission_duration_seconds_count")) {
    if (labels["name"]) counts.set(labels["name"], (counts.get(labels["name"]) ?? 0) + value);
  }
  return counts;
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

interface Context {
  readonly h: Harness;
  readonly api: Api;
  readonly objects: KubernetesObjectApi;
  readonly setupObjects: SetupObjects;
  readonly podgate: { plain: Podgate; mtls: Podgate };
  readonly options: ApiserverOptions;
}

async function runSetup(c: Context, setup: Setup, roundIndex: number, idleCores: Readonly<Record<string, number>>): Promise<SetupRun> {
  const namespace = `bench-${setup.id.toLowerCase()}-${roundIndex}`;
  await createNamespace(c.api, namespace, setup.namespaceLabels);
  const registered = setup.objects(c.setupObjects, c.podgate);
  for (const object of registered) await c.objects.create(object);
  try {
    // Registration reaches the admission chain through the apiserver's informers: wait until a dry-run shows exactly this setup.
    await waitFor(`setup ${setup.id} live`, 60_000, async () => {
      const denier = denierOf(await c.api.createPod(namespace, privilegedPod(), true));
      const allowed = await c.api.createPod(namespace, compliantPod(), true);
      if (allowed.status !== 201) throw new Error(`setup ${setup.id} refuses the compliant pod: ${allowed.text.slice(0, 300)}`);
      const sidecar = (allowed.json as { spec: { containers: { name: string }[] } }).spec.containers.some((container) => container.name === SIDECAR);
      return denier === setup.denier && sidecar === setup.sidecar;
    });
    await createPods(c.api, namespace, c.options.warmup, 1);
    const callsBefore = await webhookCalls(c.api);
    const cpuBefore = componentCpuSeconds(c.h.supervisor.groups());
    const started = performance.now();
    const sequential = await createPods(c.api, namespace, c.options.sequential, 1);
    const concurrentStarted = performance.now();
    await createPods(c.api, namespace, c.options.concurrent, c.options.creators);
    const ended = performance.now();
    const cpuAfter = componentCpuSeconds(c.h.supervisor.groups());
    const callsAfter = await webhookCalls(c.api);
    const creates = c.options.sequential + c.options.concurrent;
    const wallSeconds = (ended - started) / 1000;
    const cpuOf = (component: string) => {
      // Every podgate process (the plain one and the one requiring certificates) counts as podgate.
      const names = Object.keys(cpuAfter).filter((name) => name === component || (component === "podgate" && name.startsWith("podgate")));
      return names.reduce((sum, name) => sum + (cpuAfter[name]! - (cpuBefore[name] ?? 0)) - (idleCores[name] ?? 0) * wallSeconds, 0);
    };
    const calls = [...callsAfter].map(([name, count]) => [name, round((count - (callsBefore.get(name) ?? 0)) / creates)] as const).filter(([, perCreate]) => perCreate > 0);
    return {
      setup: setup.id,
      latenciesMs: { p50: round(percentile(sequential, 50)), p90: round(percentile(sequential, 90)), p99: round(percentile(sequential, 99)) },
      createsPerSecond: round(c.options.concurrent / ((ended - concurrentStarted) / 1000), 1),
      cpuPer1000: Object.fromEntries(COMPONENTS.map((component) => [component, round((cpuOf(component) * 1000) / creates)])),
      webhookCallsPerCreate: Object.fromEntries(calls),
    };
  } finally {
    for (const object of registered) await c.objects.delete(object);
    await deleteNamespace(c.api, namespace);
  }
}

/** CPU cores each component keeps busy with nothing to do (leases, watches, kwok's heartbeats). */
async function idleCores(h: Harness): Promise<Record<string, number>> {
  const before = componentCpuSeconds(h.supervisor.groups());
  await sleep(IDLE_SAMPLE_MS);
  const after = componentCpuSeconds(h.supervisor.groups());
  return Object.fromEntries(Object.entries(after).map(([name, s]) => [name, (s - (before[name] ?? 0)) / (IDLE_SAMPLE_MS / 1000)]));
}

/** One row per setup: medians over the rounds, and each ratio taken within its round then the median of those. */
export interface SetupSummary {
  readonly id: string;
  readonly name: string;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly createsPerSecond: number;
  readonly eachRound: readonly number[];
  readonly vsA: number;
  readonly vsB: number;
  readonly p50AddedOverA: number;
  readonly p50AddedOverB: number;
  readonly cpuPer1000: Readonly<Record<string, number>>;
  readonly webhookCallsPerCreate: Readonly<Record<string, number>>;
}

export function summarise(rounds: readonly (readonly SetupRun[])[]): SetupSummary[] {
  const ids = rounds[0]!.map((r) => r.setup);
  const inRound = (r: readonly SetupRun[], id: string) => r.find((run) => run.setup === id)!;
  return ids.map((id) => {
    const runs = rounds.map((r) => inRound(r, id));
    const within = (reference: string, pick: (run: SetupRun) => number, combine: (a: number, b: number) => number) =>
      round(median(rounds.map((r) => (r.some((run) => run.setup === reference) ? combine(pick(inRound(r, id)), pick(inRound(r, reference))) : Number.NaN))), 3);
    const components = [...new Set(runs.flatMap((r) => Object.keys(r.cpuPer1000)))];
    const webhooks = [...new Set(runs.flatMap((r) => Object.keys(r.webhookCallsPerCreate)))];
    return {
      id,
      name: SETUPS.find((s) => s.id === id)?.name ?? id,
      p50: round(median(runs.map((r) => r.latenciesMs.p50))),
      p90: round(median(runs.map((r) => r.latenciesMs.p90))),
      p99: round(median(runs.map((r) => r.latenciesMs.p99))),
      createsPerSecond: round(median(runs.map((r) => r.createsPerSecond)), 1),
      eachRound: runs.map((r) => r.createsPerSecond),
      vsA: within("A", (r) => r.createsPerSecond, (a, b) => a / b),
      vsB: within("B", (r) => r.createsPerSecond, (a, b) => a / b),
      p50AddedOverA: within("A", (r) => r.latenciesMs.p50, (a, b) => a - b),
      p50AddedOverB: within("B", (r) => r.latenciesMs.p50, (a, b) => a - b),
      cpuPer1000: Object.fromEntries(components.map((c) => [c, round(median(runs.map((r) => r.cpuPer1000[c] ?? Number.NaN)))])),
      webhookCallsPerCreate: Object.fromEntries(webhooks.map((w) => [w, round(median(runs.map((r) => r.webhookCallsPerCreate[w] ?? 0)))])),
    };
  });
}

export interface ApiserverReport {
  readonly options: ApiserverOptions;
  readonly loadAverages: readonly number[];
  readonly setups: readonly SetupSummary[];
  readonly rounds: readonly (readonly SetupRun[])[];
}

function yamlObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

export async function runApiserverBench(options: ApiserverOptions, log: (message: string) => void): Promise<ApiserverReport> {
  return withHarness({ nodes: [], webhooks: false, extender: false, podgateConfig: BENCH_CONFIG, log: (m) => log(`apiserver: ${m}`) }, async (h) => {
    const mtlsConfig = join(h.work, "podgate-mtls.yaml");
    await writeFile(mtlsConfig, stringify({ ...(parse(await readFile(BENCH_CONFIG, "utf8")) as Record<string, unknown>), server: { logLevel: "warn", clientCA: h.plane.pki.caCert } }));
    const mtls = await startPodgate(h.work, h.supervisor, h.plane, mtlsConfig, { name: "podgate-mtls" });
    const podgate = { plain: h.podgate, mtls };
    const exported = new Map<Podgate, KubernetesObject[]>();
    for (const p of [podgate.plain, podgate.mtls]) {
      exported.set(p, yamlObjects(await podgateCli(["export", "webhooks", "--config", p.configPath, "--url", p.url, "--ca-bundle-file", p.caFile, "--name", CONFIGURATION_NAME, "--mutating-name", CONFIGURATION_NAME])));
    }
    const setupObjects: SetupObjects = {
      vap: yamlObjects(await podgateCli(["export", "vap", "-l", "pss-baseline", "pss-restricted"])),
      map: yamlObjects(await podgateCli(["export", "map", "-c", BENCH_CONFIG])),
      vapSeparate: yamlObjects(await podgateCli(["export", "vap", "--separate", "-l", "pss-baseline", "pss-restricted"])),
      validating: (p) => exported.get(p)!.filter((o) => o.kind === "ValidatingWebhookConfiguration"),
      mutatingAndValidating: (p) => exported.get(p)!,
    };
    const api = await Api.open(h, options.creators);
    const c: Context = { h, api, objects: KubernetesObjectApi.makeApiClient(h.plane.kubeConfig), setupObjects, podgate, options };
    try {
      const rounds: SetupRun[][] = [];
      const loadAverages: number[] = [];
      for (let r = 0; r < options.rounds; r++) {
        loadAverages.push(round(os.loadavg()[0]!));
        const idle = await idleCores(h);
        const runs: SetupRun[] = [];
        for (const setup of SETUPS) {
          log(`apiserver: round ${r + 1}/${options.rounds}: ${setup.id} ${setup.name}`);
          runs.push(await runSetup(c, setup, r, idle));
        }
        rounds.push(runs);
      }
      return { options, loadAverages, setups: summarise(rounds), rounds };
    } finally {
      api.close();
    }
  });
}

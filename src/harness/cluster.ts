// A real cluster for users' e2e tests, with the user's podgate project served
// beside it — its webhooks registered as `podgate export webhooks` writes
// them, its extender in the scheduler as `podgate scheduler-config` writes it:
//   local  kube-apiserver, etcd, kube-controller-manager, kube-scheduler and
//          kwok nodes on loopback (kwok marks pods Running; nothing runs);
//   kind   kind's nodes run the pods with kubelet and containerd (kind.ts).
// startCluster() starts one from a test; connectCluster() reaches the one
// `podgate e2e` started. Both hand the test the same Cluster: a kubeconfig,
// a typed client and helpers.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { packagePath } from "../package-root.ts";
import { addNodes, BINARIES, binDir, startControlPlane, startScheduler } from "./controlplane.ts";
import { DEFAULT_NODES, fakeNodeSpec } from "./nodes.ts";
import { createKindCluster, KIND_OFFLINE_BINARIES, kindMode } from "./kind.ts";
import { exportedWebhooks, schedulerConfig, startPodgate, type Podgate } from "./podgate.ts";
import { PodRecorder } from "./recorder.ts";
import { Supervisor } from "./supervisor.ts";
import { readPodgateLog, type TimelineRow } from "./timeline.ts";
import { freePort, waitFor } from "./wait.ts";

export const clusterOptions = z.strictObject({
  /** The project's podgate config (relative to the working directory). */
  config: z.string().min(1).default("podgate.yaml"),
  /** local: the control plane on loopback with kwok nodes; kind: kind's nodes, which run the pods. */
  on: z.enum(["local", "kind"]).default("local"),
  /** local only: kwok nodes, node objects the scheduler places pods on; kwok marks their pods Running. */
  nodes: z.array(fakeNodeSpec).min(1).optional(),
  /** kind only: worker nodes beside the control plane's. */
  workers: z.number().int().min(1).max(5).optional(),
  /** Keep the work directory (certificates, kubeconfig, every component's log) after stop. */
  keep: z.boolean().default(false),
  /** Progress lines on stderr. */
  quiet: z.boolean().default(false),
});
export type ClusterOptions = z.input<typeof clusterOptions>;

/** The options with the cluster-specific ones checked against `on`. */
const consistentOptions = clusterOptions
  .refine((o) => !(o.on === "kind" && o.nodes), { message: "nodes are kwok's (on: local); kind has workers", path: ["nodes"] })
  .refine((o) => !(o.on === "local" && o.workers), { message: "workers are kind's (on: kind); the local cluster has nodes", path: ["workers"] });

/** What `podgate e2e` hands its test files (the file named by $PODGATE_E2E_CLUSTER). */
export const clusterHandle = z.strictObject({
  kubeconfig: z.string().min(1),
  /** An image the nodes run (kind offline has no registry: its nodes' own pause image). */
  image: z.string().min(1),
  podgate: z.strictObject({ url: z.url(), logFile: z.string().min(1), metricsUrl: z.url() }),
});
export type ClusterHandle = z.infer<typeof clusterHandle>;
export const CLUSTER_VARIABLE = "PODGATE_E2E_CLUSTER";

/** Namespaces the helpers make carry this label (`podgate e2e` prints their pods' timelines on failure). */
export const E2E_NAMESPACE_LABEL = "e2e.podgate.dev/namespace";
const WEBHOOK_CONFIG_NAME = "podgate-e2e";
/** kwok runs no container: any image name does. */
const KWOK_IMAGE = "registry.k8s.io/pause:3.10";
const TIMEOUT_MS = 60_000;

export type PodStage = "stored" | "scheduled" | "running" | "unschedulable";

const reached: Record<PodStage, (pod: V1Pod) => boolean> = {
  stored: () => true,
  scheduled: (pod) => Boolean(pod.spec?.nodeName),
  running: (pod) => pod.status?.phase === "Running",
  unschedulable: (pod) => pod.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable") === true,
};

/** The apiserver's message from a failed call (the client library puts the Status in the body). */
function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  if (typeof body === "string") {
    try {
      const message = (JSON.parse(body) as { message?: unknown }).message;
      return typeof message === "string" ? message : body;
    } catch {
      return body;
    }
  }
  return (error as Error).message;
}

export class Cluster {
  readonly kubeconfig: string;
  readonly kubeConfig: KubeConfig;
  readonly core: CoreV1Api;
  readonly podgate: ClusterHandle["podgate"];
  /** An image the nodes run: use it for pods that must reach Running on kind. */
  readonly image: string;
  private readonly recorders = new Map<string, PodRecorder>();
  private readonly teardown: () => Promise<void>;

  constructor(handle: ClusterHandle, teardown: () => Promise<void> = async () => {}) {
    this.kubeconfig = handle.kubeconfig;
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromFile(handle.kubeconfig);
    this.core = this.kubeConfig.makeApiClient(CoreV1Api);
    this.podgate = handle.podgate;
    this.image = handle.image;
    this.teardown = teardown;
  }

  /** A fresh namespace (its pods' timelines recorded), ready for pods once its default ServiceAccount exists. */
  async namespace(labels: Readonly<Record<string, string>> = {}): Promise<string> {
    const name = `e2e-${randomBytes(3).toString("hex")}`;
    await this.core.createNamespace({ body: { metadata: { name, labels: { ...labels, [E2E_NAMESPACE_LABEL]: "true" } } } });
    this.recorders.set(name, await PodRecorder.start(this.kubeConfig, name, this.podgate.logFile));
    await waitFor(`serviceaccount ${name}/default`, TIMEOUT_MS, async () => (await this.core.readNamespacedServiceAccount({ name: "default", namespace: name })).metadata?.name, () => {}, 200);
    return name;
  }

  /** Creates the pod and waits until it reaches `until` (default: stored); resolves to the pod as the API has it then. */
  async createPod(namespace: string, pod: V1Pod, options: { until?: PodStage; timeoutMs?: number } = {}): Promise<V1Pod> {
    const name = pod.metadata?.name;
    if (!name) throw new Error("createPod: the pod needs metadata.name");
    this.recorders.get(namespace)?.created(name, Date.now());
    const stored = await this.core.createNamespacedPod({ namespace, body: pod }).catch((error: unknown) => {
      throw new Error(`creating pod ${namespace}/${name} failed: ${apiMessage(error)}`, { cause: error });
    });
    const until = options.until ?? "stored";
    if (until === "stored") return stored;
    return waitFor(`pod ${namespace}/${name} ${until}`, options.timeoutMs ?? TIMEOUT_MS, async () => {
      const now = await this.core.readNamespacedPod({ namespace, name });
      return reached[until](now) ? now : undefined;
    }, () => {}, 200);
  }

  /** Creates the pod expecting admission to refuse it; resolves to the apiserver's message, or throws (deleting the pod) if it was admitted. */
  async expectDenied(namespace: string, pod: V1Pod): Promise<string> {
    const name = pod.metadata?.name ?? "";
    try {
      await this.core.createNamespacedPod({ namespace, body: pod });
    } catch (error) {
      return apiMessage(error);
    }
    await this.core.deleteNamespacedPod({ namespace, name }).catch(() => undefined);
    throw new Error(`pod ${namespace}/${name} was admitted; expected admission to deny it`);
  }

  /** The message of the pod's FailedScheduling event (with the extender's per-node reasons), once there is one. */
  async schedulingFailure(namespace: string, name: string, timeoutMs = TIMEOUT_MS): Promise<string> {
    return waitFor(`a FailedScheduling event for ${namespace}/${name}`, timeoutMs, async () => {
      const events = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name},reason=FailedScheduling` });
      return events.items.at(-1)?.message;
    }, () => {}, 250);
  }

  /** Sets labels on the named nodes (all nodes by default). */
  async labelNodes(labels: Readonly<Record<string, string>>, names?: readonly string[]): Promise<void> {
    const targets = names ?? (await this.core.listNode()).items.map((n) => n.metadata!.name!);
    for (const name of targets) {
      // kwok's heartbeats change the node between our read and write: read again on a conflict.
      for (let attempt = 1; ; attempt++) {
        const node = await this.core.readNode({ name });
        node.metadata = { ...node.metadata, labels: { ...node.metadata?.labels, ...labels } };
        try {
          await this.core.replaceNode({ name, body: node });
          break;
        } catch (error) {
          if ((error as { code?: number }).code !== 409 || attempt === 5) throw new Error(`labelling node ${name} failed: ${apiMessage(error)}`, { cause: error });
        }
      }
    }
  }

  /** Each pod's stages in the namespace (created, mutated, validated, persisted, filtered, scored, bound, running, ready), ms apart. */
  async timeline(namespace: string, names?: readonly string[]): Promise<TimelineRow[]> {
    const recorder = this.recorders.get(namespace);
    if (!recorder) throw new Error(`timeline: namespace ${namespace} was not made by cluster.namespace()`);
    return recorder.rows(names);
  }

  /** Stops the recorders; a cluster startCluster() started is torn down too. */
  async stop(): Promise<void> {
    for (const r of this.recorders.values()) r.stop();
    this.recorders.clear();
    await this.teardown();
  }
}

const run = promisify(execFile);

/** Binaries built once from the Go module proxy (controlplane/build.sh) when missing. */
export async function ensureControlPlane(log: (message: string) => void, binaries: readonly string[] = BINARIES): Promise<void> {
  const bin = binDir();
  if (binaries.every((b) => existsSync(join(bin, b)))) return;
  try {
    await run("go", ["version"]);
  } catch {
    throw new Error(
      `the cluster needs ${binaries.join(", ")} in ${bin}, ` +
        "built once from the Go module proxy: install Go 1.26 or newer (https://go.dev/dl/) and run again " +
        "(the first build takes about 10 minutes on 2 cores; later runs reuse it), or point PODGATE_CP_BIN at a directory with them",
    );
  }
  log(`building the control plane into ${bin} (once; about 10 minutes on 2 cores, progress below)`);
  const code = await new Promise<number>((done, fail) => {
    const child = spawn(packagePath("controlplane/build.sh"), [...binaries], { stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", fail);
    child.on("exit", (c) => done(c ?? 1));
  });
  if (code !== 0) throw new Error(`building the control plane failed (controlplane/build.sh exited ${code}; its output is above)`);
}

/** Waits until the apiserver calls podgate for pod creates (when its webhooks take them): a dry-run create shows up in podgate's log. */
async function waitForWebhooks(cluster: Cluster, takesPods: boolean, alive: () => void): Promise<void> {
  if (!takesPods) return;
  const namespace = await cluster.namespace();
  let n = 0;
  await waitFor("the apiserver to call podgate's webhooks", TIMEOUT_MS, async () => {
    const name = `probe-${n++}`;
    await cluster.core.createNamespacedPod({ namespace, dryRun: "All", body: { metadata: { name }, spec: { containers: [{ name: "probe", image: "registry.invalid/probe:1" }] } } }).catch(() => undefined);
    return (await readPodgateLog(cluster.podgate.logFile)).some((l) => l.msg === "admission review" && l.namespace === namespace && l.name === name);
  }, alive, 300);
  await cluster.core.deleteNamespace({ name: namespace });
}

const coversPodCreates = (rules: readonly { resources?: string[]; operations?: string[] }[] | undefined) =>
  (rules ?? []).some((r) => (r.resources ?? []).some((x) => x === "pods" || x === "*") && (r.operations ?? []).some((o) => o === "CREATE" || o === "*"));

interface Started {
  readonly kubeconfig: string;
  readonly kubeConfig: KubeConfig;
  readonly podgate: Podgate;
  readonly image: string;
}

type Options = z.output<typeof clusterOptions>;
type Log = (message: string) => void;

async function startLocal(o: Options, work: string, sup: Supervisor, log: Log): Promise<Started> {
  await ensureControlPlane(log);
  const plane = await startControlPlane(work, sup, log);
  const nodes = o.nodes ?? DEFAULT_NODES;
  await addNodes(plane, nodes, () => sup.assertAlive());
  log(`${nodes.length} kwok nodes Ready`);
  const podgate = await startPodgate(work, sup, plane, o.config);
  const scheduling = (await schedulerConfig(podgate)) ?? { apiVersion: "kubescheduler.config.k8s.io/v1", kind: "KubeSchedulerConfiguration" };
  await startScheduler(work, sup, plane, scheduling);
  log(`kube-scheduler ${"extenders" in scheduling ? "calling podgate's extender" : "without an extender (the config has none)"}`);
  return { kubeconfig: plane.kubeconfig, kubeConfig: plane.kubeConfig, podgate, image: KWOK_IMAGE };
}

async function startKind(o: Options, work: string, sup: Supervisor, log: Log, onDelete: (remove: () => Promise<void>) => void): Promise<Started> {
  const mode = await kindMode();
  if (mode === "offline") await ensureControlPlane(log, KIND_OFFLINE_BINARIES);
  else if (!(await run("kind", ["version"]).then(() => true, () => false))) await ensureControlPlane(log, ["kind"]);
  log(`kind, ${mode === "online" ? "with the Docker engine that answers" : "offline: a private dockerd and a node image built here (controlplane/kind/)"}`);
  const port = await freePort();
  const kind = await createKindCluster({ work, workers: o.workers ?? 1, config: o.config, log, quiet: o.quiet }, mode, port, join(work, "podgate-tls"));
  onDelete(() => kind.delete());
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kind.kubeconfig);
  const podgate = await startPodgate(work, sup, kind, o.config, { host: kind.gateway, port });
  return { kubeconfig: kind.kubeconfig, kubeConfig, podgate, image: kind.image };
}

/** Starts the cluster with the project's podgate; stop() tears everything down (also on a failed start). */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const parsed = consistentOptions.safeParse(options);
  if (!parsed.success) throw new Error(`startCluster: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(options)"}: ${i.message}`).join("; ")}`);
  const o = { ...parsed.data, config: resolve(parsed.data.config) };
  const log = o.quiet ? () => {} : (m: string) => process.stderr.write(`[podgate e2e] ${m}\n`);
  if (!existsSync(o.config)) throw new Error(`startCluster: no podgate config at ${o.config} (options.config, or --config)`);
  const work = await mkdtemp(join(tmpdir(), "podgate-e2e-"));
  const sup = new Supervisor(work);
  let removeKind: (() => Promise<void>) | undefined;
  const teardown = async (failed = false) => {
    if (failed) process.stderr.write(`[podgate e2e] the cluster failed to start; last log lines:\n${sup.tails()}\n`);
    await sup.stop();
    await removeKind?.();
    if (o.keep || failed) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  };
  try {
    log(`work dir ${work}`);
    const started = o.on === "kind" ? await startKind(o, work, sup, log, (r) => (removeKind = r)) : await startLocal(o, work, sup, log);
    const { podgate } = started;
    log(`podgate serving ${o.config} at ${podgate.url} (log ${podgate.logFile})`);
    const api = started.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    const { mutating, validating } = await exportedWebhooks(podgate, WEBHOOK_CONFIG_NAME);
    if (mutating) await api.createMutatingWebhookConfiguration({ body: mutating });
    if (validating) await api.createValidatingWebhookConfiguration({ body: validating });
    const handle = { kubeconfig: started.kubeconfig, image: started.image, podgate: { url: podgate.url, logFile: podgate.logFile, metricsUrl: podgate.metricsUrl } };
    const cluster = new Cluster(handle, () => teardown());
    const takesPods = [...(mutating?.webhooks ?? []), ...(validating?.webhooks ?? [])].some((w) => coversPodCreates(w.rules));
    await waitForWebhooks(cluster, takesPods, () => sup.assertAlive());
    log("ready");
    return cluster;
  } catch (error) {
    await teardown(true).catch((e: unknown) => log((e as Error).message));
    throw error;
  }
}

/** The cluster `podgate e2e` started for this test run. */
export function connectCluster(file = process.env[CLUSTER_VARIABLE]): Cluster {
  if (!file) throw new Error(`connectCluster: ${CLUSTER_VARIABLE} is not set; run the tests with \`podgate e2e\`, or start a cluster with startCluster()`);
  const parsed = clusterHandle.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`connectCluster: ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return new Cluster(parsed.data);
}

/** Writes the handle connectCluster() reads. */
export async function writeClusterHandle(file: string, cluster: Cluster): Promise<void> {
  await writeFile(file, JSON.stringify({ kubeconfig: cluster.kubeconfig, image: cluster.image, podgate: cluster.podgate } satisfies ClusterHandle));
}

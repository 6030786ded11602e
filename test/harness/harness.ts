// The whole local flow: control plane + kwok nodes + podgate (webhooks
// registered, extender in node-cache mode binding) + kube-scheduler calling
// podgate. start() resolves only when it is really ready (a server-side
// dry-run create shows the sidecar; podgate's node cache has synced) and
// always tears down what it started if it fails.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { addNodes, startControlPlane, startScheduler, type ControlPlane } from "../../src/harness/controlplane.ts";
import type { E2eEnvironment } from "./env.ts";
import { DEFAULT_NODES, type FakeNodeSpec } from "../../src/harness/nodes.ts";
import { schedulerConfig, startPodgate, type Podgate } from "../../src/harness/podgate.ts";
import { buildPodgate } from "../support/build.ts";
import { E2E_CONFIG, hasSidecar, registerWebhooks } from "./podgate.ts";
import { realNodeEnvironment, startRealNode, type RealNode } from "./realnode.ts";
import { Supervisor } from "../../src/harness/supervisor.ts";
import { waitFor } from "../../src/harness/wait.ts";
import { INJECT_LABEL } from "./webhooks.ts";

export interface HarnessOptions {
  readonly nodes?: readonly FakeNodeSpec[];
  /** Register podgate's webhooks (default true). */
  readonly webhooks?: boolean;
  /** kube-scheduler calls podgate's extender (default true). */
  readonly extender?: boolean;
  readonly podgateConfig?: string;
  /** Also run a real node (kubelet + containerd, test/harness/realnode.ts); needs root. */
  readonly realNode?: boolean;
  /** Keep the work dir (certs, kubeconfig, logs) after stop. */
  readonly keep?: boolean;
  readonly log?: (message: string) => void;
}

export interface Harness {
  readonly work: string;
  readonly plane: ControlPlane;
  readonly podgate: Podgate;
  readonly realNode?: RealNode;
  readonly supervisor: Supervisor;
  readonly env: E2eEnvironment;
  readonly envFile: string;
  readonly timings: Record<string, number>;
  /** The scheduler configuration with podgate as extender (`podgate scheduler-config`). */
  readonly schedulerConfig: Record<string, unknown>;
  /** Restarts kube-scheduler with or without podgate as extender, or with the given configuration; resolves to its secure port. */
  restartScheduler(extender: boolean | Record<string, unknown>): Promise<number>;
  stop(options?: { failed?: boolean }): Promise<void>;
}

const READY_NAMESPACE = "podgate-e2e-ready";

async function waitForWebhooks(plane: ControlPlane, alive: () => void): Promise<void> {
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: READY_NAMESPACE, labels: { [INJECT_LABEL.key]: INJECT_LABEL.value } } } });
  // The ServiceAccount admission plugin refuses pods until kcm made "default".
  await waitFor(`serviceaccount ${READY_NAMESPACE}/default`, 60_000, async () => (await core.readNamespacedServiceAccount({ name: "default", namespace: READY_NAMESPACE })).metadata?.name, alive, 500);
  // Restricted-compliant, so the harness starts where users enforce restricted Pod Security.
  const probe: V1Pod = {
    metadata: { generateName: "probe-" },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "app", image: "registry.invalid/probe:1", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    },
  };
  await waitFor("a server-side dry-run create to show podgate's sidecar", 60_000, async () => hasSidecar(await core.createNamespacedPod({ namespace: READY_NAMESPACE, body: probe, dryRun: "All" })), alive, 500);
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const log = options.log ?? ((m: string) => process.stderr.write(`[harness] ${m}\n`));
  const work = await mkdtemp(join(tmpdir(), "podgate-e2e-"));
  const sup = new Supervisor(work);
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (what: string) => (timings[what] = Math.round(performance.now() - t0));
  const alive = () => sup.assertAlive();
  let plane: ControlPlane | undefined;
  let realNode: RealNode | undefined;
  const stop = async ({ failed = false } = {}) => {
    const started = performance.now();
    if (failed) process.stderr.write(`[harness] FAILED; last log lines:\n${sup.tails()}\n`);
    // The real node first, while the apiserver still answers: its pods are
    // deleted through it. A machine left changed fails the run, after the rest is stopped.
    let realNodeError: unknown;
    await realNode?.stop().catch((error: unknown) => (realNodeError = error));
    await sup.stop();
    log(`teardown: every process stopped in ${Math.round(performance.now() - started)} ms`);
    if (options.keep || failed || realNodeError) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
    if (realNodeError) throw realNodeError;
  };
  try {
    log(`work dir ${work}`);
    plane = await startControlPlane(work, sup, log);
    Object.assign(timings, plane.timings);
    const nodes = options.nodes ?? DEFAULT_NODES;
    await addNodes(plane, nodes, alive);
    mark("nodes ready");
    log(`${nodes.length} kwok nodes Ready`);
    if (options.realNode) {
      realNode = await startRealNode(work, sup, plane, log);
      mark("real node ready");
    }
    const podgateConfig = options.podgateConfig ?? E2E_CONFIG;
    buildPodgate();
    const podgate = await startPodgate(work, sup, plane, podgateConfig);
    mark("podgate ready");
    log(`podgate ready at ${podgate.url} (log ${podgate.logFile})`);
    const withExtender = options.extender ?? true;
    const podgateScheduler = await schedulerConfig(podgate);
    if (!podgateScheduler) throw new Error(`${podgateConfig}: the e2e suite's config must enable the extender`);
    const plain = { apiVersion: "kubescheduler.config.k8s.io/v1", kind: "KubeSchedulerConfiguration" };
    await startScheduler(work, sup, plane, withExtender ? podgateScheduler : plain);
    mark("scheduler healthy");
    if (options.webhooks ?? true) {
      await registerWebhooks(plane, podgate);
      await waitForWebhooks(plane, alive);
      mark("webhooks live");
      log("webhooks live (dry-run create shows the sidecar)");
    }
    const env: E2eEnvironment = {
      cluster: "local",
      kubeconfig: plane.kubeconfig,
      bindThroughExtender: withExtender && (podgateScheduler["extenders"] as { bindVerb?: string }[] | undefined)?.some((e) => e.bindVerb) === true,
      podgate: { url: podgate.url, caFile: podgate.caFile, tlsDir: podgate.tlsDir, logFile: podgate.logFile, metricsUrl: podgate.metricsUrl },
      ...(realNode ? { realNode: realNodeEnvironment(realNode) } : {}),
    };
    const envFile = join(work, "e2e-env.json");
    await writeFile(envFile, JSON.stringify(env, null, 2));
    const ready = plane;
    return {
      work,
      plane: ready,
      podgate,
      ...(realNode ? { realNode } : {}),
      supervisor: sup,
      env,
      envFile,
      timings,
      schedulerConfig: podgateScheduler,
      async restartScheduler(extender: boolean | Record<string, unknown>) {
        await sup.stopOne("kube-scheduler");
        return startScheduler(work, sup, ready, extender === true ? podgateScheduler : extender === false ? plain : extender);
      },
      stop,
    };
  } catch (error) {
    // the start's error is the one to report; a teardown problem is logged beside it
    await stop({ failed: true }).catch((teardown: unknown) => log((teardown as Error).message));
    throw error;
  }
}

/**
 * Runs `body` with a started harness and stops it on every path: normal end,
 * a thrown error, SIGINT/SIGTERM, or an uncaught exception.
 */
export async function withHarness<T>(options: HarnessOptions, body: (h: Harness) => Promise<T>): Promise<T> {
  let harness: Harness | undefined;
  let stopping: Promise<void> | undefined;
  const stopOnce = (failed: boolean) => (stopping ??= harness?.stop({ failed }) ?? Promise.resolve());
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`[harness] ${signal}: tearing down\n`);
    void stopOnce(false)
      .catch((error: unknown) => process.stderr.write(`[harness] ${(error as Error).message}\n`))
      .finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  const onUncaught = (error: unknown) => {
    process.stderr.write(`[harness] uncaught: ${(error as Error).stack ?? String(error)}\n`);
    void stopOnce(true)
      .catch((teardown: unknown) => process.stderr.write(`[harness] ${(teardown as Error).message}\n`))
      .finally(() => process.exit(1));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  try {
    harness = await startHarness(options);
    const result = await body(harness);
    await stopOnce(false);
    return result;
  } catch (error) {
    await stopOnce(true);
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("uncaughtException", onUncaught);
    process.off("unhandledRejection", onUncaught);
  }
}

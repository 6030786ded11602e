// The suite's view of the cluster: API clients from the environment's
// kubeconfig, real kubectl for the steps a user would type, namespaces made
// for one test and deleted after it, and waiting on pods.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { readEnvironment, type E2eEnvironment } from "../../harness/env.ts";
import { INJECT_LABEL } from "../../harness/webhooks.ts";
import { PodRecorder } from "../../../src/harness/recorder.ts";

export const env: E2eEnvironment = readEnvironment();
export const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(env.kubeconfig);
export const core = kubeConfig.makeApiClient(CoreV1Api);
export const apps = kubeConfig.makeApiClient(AppsV1Api);
export const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);

/** An image every cluster can run (kind pulls it, or the offline kind run loads its own; kwok never does). */
export const APP_IMAGE = env.appImage ?? "registry.k8s.io/pause:3.10";
export const SIDECAR = "log-shipper";

export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function kubectl(args: readonly string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", args, { env: { ...process.env, KUBECONFIG: env.kubeconfig }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

export async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    await sleep(intervalMs);
  }
}

// Namespaces made by this test file, deleted when it ends (registered at module
// level: an after() inside a before() hook would run when the hook ends).
const made: string[] = [];
after(() => Promise.all(made.map((name) => core.deleteNamespace({ name }).catch(() => undefined))));

/**
 * A fresh namespace `<prefix>-<random>` (podgate's node rules match on the
 * prefix), labelled for injection unless told otherwise, ready for pods (its
 * default ServiceAccount exists), deleted when the test file ends.
 */
export async function namespace(prefix: string, options: { inject?: boolean; labels?: Record<string, string> } = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString("hex")}`;
  const labels: Record<string, string> = { ...(options.inject === false ? {} : { [INJECT_LABEL.key]: INJECT_LABEL.value }), ...options.labels };
  await core.createNamespace({ body: { metadata: { name, labels } } });
  made.push(name);
  await poll(`serviceaccount ${name}/default`, 60_000, async () => (await core.readNamespacedServiceAccount({ name: "default", namespace: name })).metadata?.name);
  return name;
}

export function podYaml(name: string, namespace: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string>; image?: string; schedulerName?: string; cpu?: string } = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name, ...extra.labels }, annotations: extra.annotations ?? {} },
    spec: {
      ...(extra.schedulerName ? { schedulerName: extra.schedulerName } : {}),
      terminationGracePeriodSeconds: 0,
      containers: [{ name: "app", image: extra.image ?? APP_IMAGE, ...(extra.cpu ? { resources: { requests: { cpu: extra.cpu } } } : {}) }],
    },
  });
}

export const readPod = (name: string, namespace: string) => core.readNamespacedPod({ name, namespace });

export { isReady } from "../../../src/harness/recorder.ts";
export const startRecorder = (ns: string) => PodRecorder.start(kubeConfig, ns, env.podgate?.logFile);

export function waitForPod(name: string, namespace: string, what: string, predicate: (pod: V1Pod) => boolean, timeoutMs = 60_000): Promise<V1Pod> {
  return poll(`pod ${namespace}/${name} ${what}`, timeoutMs, async () => {
    const pod = await readPod(name, namespace);
    return predicate(pod) ? pod : undefined;
  });
}

export const containerNames = (pod: V1Pod) => (pod.spec?.containers ?? []).map((c) => c.name);

/** A failed API call's HTTP code and its Status message (the body as it is when it is not a Status). */
export function apiError(error: unknown): { code: number | undefined; message: string } {
  const { code, body } = error as { code?: number; body?: string };
  try {
    const status = JSON.parse(body ?? "{}") as { message?: unknown };
    return { code, message: typeof status.message === "string" ? status.message : (body ?? "") };
  } catch {
    return { code, message: body ?? String(error) };
  }
}

/** Runs fn over items, `width` at a time, results in order. */
export async function pooled<T, R>(items: readonly T[], width: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

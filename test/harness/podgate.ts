// podgate itself on loopback, as the apiserver and the scheduler see it:
// `podgate serve` with the e2e config, its webhook configurations registered
// with clientConfig.url + caBundle, and the scheduler's extenders block from
// `podgate scheduler-config`.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, type V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import { REPO, type ControlPlane } from "./controlplane.ts";
import { SERVE_NODE_FLAGS } from "../../src/server/node-flags.ts";
import { buildPodgate, PODGATE_BIN } from "../support/build.ts";
import type { Supervisor } from "./supervisor.ts";
import { freePort, httpsGet, waitFor } from "./wait.ts";
import { baseMutatingConfiguration, urlMutatingConfiguration, WITHOUT_PODGATE } from "./webhooks.ts";

const run = promisify(execFile);
export const E2E_CONFIG = join(REPO, "test/e2e/podgate.yaml");
export const WEBHOOK_CONFIG_NAME = "podgate-e2e";

export interface Podgate {
  readonly url: string;
  readonly tlsDir: string;
  readonly caFile: string;
  readonly configPath: string;
  readonly logFile: string;
  readonly metricsUrl: string;
}

/** Runs the podgate CLI from the repository root; throws with its stderr. */
export async function podgateCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [PODGATE_BIN, ...args], { cwd: REPO, env, maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`podgate ${args.join(" ")} failed: ${e.stderr || e.message}`, { cause: error });
  }
}

/** `name` is the supervised component's (a second podgate beside the harness's gets its own). */
export async function startPodgate(work: string, sup: Supervisor, plane: ControlPlane, configSource = E2E_CONFIG, name = "podgate"): Promise<Podgate> {
  const [port, metricsPort] = await Promise.all([freePort(), freePort()]);
  const tlsDir = join(work, `${name}-tls`);
  // The config is served where it lies (its policy paths are relative to it); the listeners come from flags.
  const configPath = configSource;
  const listeners = ["--host", "127.0.0.1", "--port", String(port), "--tls-dir", tlsDir, "--metrics-host", "127.0.0.1", "--metrics-port", String(metricsPort)];
  // The extender's informers and binder find the API through $KUBECONFIG.
  // From the build and with the Node flags it is deployed with (npm start, the Dockerfile).
  buildPodgate();
  sup.start(name, process.execPath, [...SERVE_NODE_FLAGS, PODGATE_BIN, "serve", "--config", configPath, ...listeners], { cwd: REPO, env: { ...process.env, KUBECONFIG: plane.kubeconfig } });
  const url = `https://127.0.0.1:${port}`;
  const caFile = join(tlsDir, "ca.crt");
  // /readyz is 200 only once the certificate is loaded and the node cache has synced.
  await waitFor("podgate /readyz", 60_000, async () => (await httpsGet(`${url}/readyz`, { ca: caFile })).status === 200, () => sup.assertAlive());
  return { url, tlsDir, caFile, configPath, logFile: sup.logPath(name), metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

export async function registerWebhooks(plane: ControlPlane, podgate: Podgate): Promise<void> {
  const caBundle = (await readFile(podgate.caFile)).toString("base64");
  const api = plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const mutating = urlMutatingConfiguration(baseMutatingConfiguration(REPO), { name: WEBHOOK_CONFIG_NAME, baseUrl: podgate.url, caBundle });
  await api.createMutatingWebhookConfiguration({ body: mutating });
  // podgate's own exporter compiles the validating rules (CREATE/UPDATE/DELETE) from the policies.
  // It emits the MutatingWebhookConfiguration too; the harness keeps the base manifests' (their selectors are what the e2e tests).
  const exported = parseAllDocuments(await podgateCli(["export", "webhooks", "--config", podgate.configPath, "--url", podgate.url, "--ca-bundle-file", podgate.caFile, "--name", WEBHOOK_CONFIG_NAME]));
  const validating = (Array.isArray(exported) ? exported : [exported]).map((d) => d.toJS() as { kind?: string }).find((o) => o.kind === "ValidatingWebhookConfiguration") as V1ValidatingWebhookConfiguration;
  for (const w of validating.webhooks ?? []) w.namespaceSelector = { ...w.namespaceSelector, matchExpressions: [...(w.namespaceSelector?.matchExpressions ?? []), { ...WITHOUT_PODGATE }] };
  await api.createValidatingWebhookConfiguration({ body: validating });
}

export async function removeWebhooks(plane: ControlPlane): Promise<void> {
  const api = plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await api.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME });
  await api.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME });
}

/** `podgate scheduler-config` for this podgate: the extenders block with caData. */
export async function schedulerConfig(podgate: Podgate): Promise<Record<string, unknown>> {
  return parse(await podgateCli(["scheduler-config", "--config", podgate.configPath, "--url", `${podgate.url}/extender`])) as Record<string, unknown>;
}

/** Read whether a dry-run create of a pod shows the sidecar: the webhooks are live. */
export function hasSidecar(pod: { spec?: { containers?: { name: string }[] } }): boolean {
  return pod.spec?.containers?.some((c) => c.name === "log-shipper") ?? false;
}

// podgate on loopback as the apiserver and the scheduler see it: `podgate
// serve` with a project's config (its listeners and TLS directory from
// flags), its webhook configurations as `podgate export webhooks` writes them,
// and kube-scheduler's extenders block from `podgate scheduler-config`.
import { execFile } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import type { V1MutatingWebhookConfiguration, V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { parse, parseAllDocuments } from "yaml";
import { packagePath } from "../package-root.ts";
import { SERVE_NODE_FLAGS } from "../server/node-flags.ts";
import { ensureLocalCertificates } from "../server/tls.ts";
import type { Supervisor } from "./supervisor.ts";
import { freePort, httpsGet, waitFor } from "./wait.ts";

const run = promisify(execFile);

/** podgate's command (bin/ runs the build when there is one). */
export const PODGATE_BIN = packagePath("bin/podgate.js");

export interface Podgate {
  readonly url: string;
  readonly tlsDir: string;
  readonly caFile: string;
  readonly configPath: string;
  readonly logFile: string;
  readonly metricsUrl: string;
}

/** Runs the podgate CLI; throws with its stderr. */
export async function podgateCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [PODGATE_BIN, ...args], { env, maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`podgate ${args.join(" ")} failed: ${e.stderr || e.message}`, { cause: error });
  }
}

export interface PodgateOptions {
  /** The supervised component's name (its log file's). */
  readonly name?: string;
  /** The address it listens on, and its serving certificate's IP (default loopback). */
  readonly host?: string;
  /** Its HTTPS port (default: a free one). */
  readonly port?: number;
}

/**
 * Serves `config` (where it lies: its paths are relative to it) until the
 * supervisor stops; resolves once /readyz is 200 (certificate loaded, node
 * cache synced).
 */
export async function startPodgate(work: string, sup: Supervisor, plane: { readonly kubeconfig: string }, config: string, options: PodgateOptions = {}): Promise<Podgate> {
  const { name = "podgate", host = "127.0.0.1" } = options;
  const configPath = resolve(config);
  const [port, metricsPort] = await Promise.all([options.port ?? freePort(), freePort()]);
  const tlsDir = join(work, `${name}-tls`);
  // serve would generate a certificate for loopback only; another address is named in it here.
  if (host !== "127.0.0.1") await ensureLocalCertificates(tlsDir, [host, "127.0.0.1", "localhost"]);
  const listeners = ["--host", host, "--port", String(port), "--tls-dir", tlsDir, "--metrics-host", "127.0.0.1", "--metrics-port", String(metricsPort)];
  // The extender's informers and binder find the API through $KUBECONFIG; the Node flags are those it is deployed with.
  sup.start(name, process.execPath, [...SERVE_NODE_FLAGS, PODGATE_BIN, "serve", "--config", configPath, ...listeners], { cwd: dirname(configPath), env: { ...process.env, KUBECONFIG: plane.kubeconfig } });
  const url = `https://${host}:${port}`;
  const caFile = join(tlsDir, "ca.crt");
  await waitFor(`${name} /readyz`, 60_000, async () => (await httpsGet(`${url}/readyz`, { ca: caFile })).status === 200, () => sup.assertAlive());
  return { url, tlsDir, caFile, configPath, logFile: sup.logPath(name), metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

export interface ExportedWebhooks {
  readonly mutating?: V1MutatingWebhookConfiguration;
  readonly validating?: V1ValidatingWebhookConfiguration;
}

/** `podgate export webhooks` for this podgate: what its config serves, at its URL, trusting its CA. */
export async function exportedWebhooks(podgate: Podgate, name: string): Promise<ExportedWebhooks> {
  const text = await podgateCli(["export", "webhooks", "--config", podgate.configPath, "--url", podgate.url, "--ca-bundle-file", podgate.caFile, "--name", name]);
  const objects = parseAllDocuments(text).map((d) => d.toJS() as { kind?: string });
  const of = <T>(kind: string) => objects.find((o) => o.kind === kind) as T | undefined;
  const mutating = of<V1MutatingWebhookConfiguration>("MutatingWebhookConfiguration");
  const validating = of<V1ValidatingWebhookConfiguration>("ValidatingWebhookConfiguration");
  return { ...(mutating ? { mutating } : {}), ...(validating ? { validating } : {}) };
}

/**
 * `podgate scheduler-config` for a podgate at `url` serving `configPath`: the
 * extenders block, trusting `caFile` (a path where the scheduler runs), with
 * the scheduler's own kubeconfig when given; undefined when the config's
 * extender is off (the plain scheduler, then).
 */
export async function schedulerConfig(target: Pick<Podgate, "configPath" | "url" | "caFile">, kubeconfig?: string): Promise<Record<string, unknown> | undefined> {
  const client = kubeconfig ? ["--kubeconfig", kubeconfig] : [];
  try {
    return parse(await podgateCli(["scheduler-config", "--config", target.configPath, "--url", `${target.url}/extender`, "--ca-file", target.caFile, ...client])) as Record<string, unknown>;
  } catch (error) {
    if (/extender\.enabled/.test((error as Error).message)) return undefined;
    throw error;
  }
}

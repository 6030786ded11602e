// Starting and stopping the server: certificates, listeners, reload, drain.
import type { Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import { readFile } from "node:fs/promises";
import type { FastifyInstance, FastifyPluginAsync } from "fastify";
import type { KubeObject } from "../admission/review.ts";
import type { LoadedConfig } from "../config/load.ts";
import { buildApp } from "./app.ts";
import { Metrics, serveMetrics } from "./metrics.ts";
import { trackConnections } from "./connections.ts";
import { Readiness } from "./readiness.ts";
import { startReload, type ReloadResult } from "./reload.ts";
import { ServedConfig } from "./served-config.ts";
import { ensureLocalCertificates, loadTls, watchTlsDir, type TlsMaterial } from "./tls.ts";

/** What the wiring hands the server besides the config: extra routes and their readiness checks. */
export interface Extension {
  readonly name: string;
  readonly plugin?: FastifyPluginAsync;
  /** Where the server reads each request's Namespace from, when this extension watches them. */
  readonly namespaceOf?: (name: string) => KubeObject | undefined;
  /** Starts background work (informers); returns a stop function. */
  start?(context: { readiness: Readiness; metrics: Metrics; log: FastifyInstance["log"] }): Promise<() => Promise<void>>;
  /** Applies the live part of a reloaded config (the extender's plugins), called right after the webhooks are swapped. */
  adopt?(next: LoadedConfig): void;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly metricsUrl?: string;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** Re-reads the TLS directory now; resolves to whether the certificate changed. */
  reloadTls(): Promise<boolean>;
  /** Loads the config again now and serves it if it is valid (the file watch does this on its own). */
  reloadConfig(): Promise<ReloadResult>;
  /** Not ready, wait shutdownDelaySeconds, stop accepting, finish in-flight requests. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Generate a local CA + certificate when tlsDir has none (default); off when a Secret or cert-manager provides them. */
  readonly generateCertificates?: boolean;
  /** Loads the config again (as the given generation) for a reload; without it the config is never reloaded. */
  readonly load?: (generation: number) => Promise<LoadedConfig>;
  /** Keys of each config section a reload applies live; changes to the others need a restart. */
  readonly liveSectionKeys?: Readonly<Record<string, readonly string[]>>;
}

export async function startServer(config: LoadedConfig, extensions: readonly Extension[] = [], options: StartOptions = {}): Promise<RunningServer> {
  const server = config.server;
  const metrics = new Metrics();
  const readiness = new Readiness();
  const generated = options.generateCertificates !== false && (await ensureLocalCertificates(server.tlsDir, server.tlsHosts));
  let tls: TlsMaterial = await loadTls(server.tlsDir, options.generateCertificates === false ? "certificate generation is off: they must be provided there" : undefined);
  metrics.certificateExpiry.set(tls.notAfter.getTime() / 1000);
  readiness.add("certificate", () => (tls.notAfter.getTime() > Date.now() ? undefined : `serving certificate expired at ${tls.notAfter.toISOString()}`));
  const clientCA = server.clientCA ? await readFile(server.clientCA, "utf8") : undefined;

  const served = new ServedConfig(config);
  const app = await buildApp({
    server,
    tls,
    ...(clientCA ? { clientCA } : {}),
    served,
    metrics,
    readiness,
    plugins: extensions.flatMap((e) => (e.plugin ? [e.plugin] : [])),
    namespaceOf: extensions.find((e) => e.namespaceOf)?.namespaceOf,
  });
  if (generated) app.log.info({ tlsDir: server.tlsDir }, "generated a local CA and serving certificate (trust ca.crt)");

  const stops: Array<() => Promise<void>> = [];
  for (const extension of extensions) {
    if (extension.start) stops.push(await extension.start({ readiness, metrics, log: app.log.child({ extension: extension.name }) }));
  }

  const reloadTls = async (): Promise<boolean> => {
    let next: TlsMaterial;
    try {
      next = await loadTls(server.tlsDir);
    } catch (error) {
      // A half-written rotation: keep serving the old certificate and try again on the next event.
      metrics.certificateReloads.inc({ result: "error" });
      app.log.warn({ err: error }, "serving certificate reload failed; keeping the current one");
      return false;
    }
    if (next.cert === tls.cert && next.key === tls.key) return false;
    // Existing connections keep their session; new handshakes get the new certificate.
    (app.server as unknown as HttpsServer).setSecureContext({ cert: next.cert, key: next.key, minVersion: "TLSv1.2", ...(clientCA ? { ca: clientCA } : {}) });
    tls = next;
    metrics.certificateExpiry.set(tls.notAfter.getTime() / 1000);
    metrics.certificateReloads.inc({ result: "ok" });
    app.log.info({ notAfter: tls.notAfter.toISOString() }, "serving certificate reloaded");
    return true;
  };
  const watcher = watchTlsDir(server.tlsDir, () => void reloadTls());
  const { load } = options;
  const reloader =
    load && server.reload.enabled
      ? startReload({
          served,
          load,
          liveSectionKeys: options.liveSectionKeys ?? {},
          adopt: (next) => {
            for (const extension of extensions) {
              try {
                extension.adopt?.(next);
              } catch (error) {
                // The webhooks are swapped already; an extension that cannot follow says so and keeps its old settings.
                app.log.error({ err: error, extension: extension.name }, "config reload: an extension could not take the new config");
              }
            }
          },
          intervalMs: server.reload.intervalSeconds * 1000,
          metrics,
          readiness,
          log: app.log,
        })
      : undefined;
  const reloadConfig = () => (reloader ? reloader.reload() : Promise.reject(new Error(load ? "config reload is off (server.reload.enabled: false)" : "this server was started without a way to load its config again")));

  const connections = trackConnections(app.server as unknown as HttpsServer);
  const address = await app.listen({ host: server.host, port: server.port });
  let metricsServer: Server | undefined;
  if (server.metrics.enabled) metricsServer = await serveMetrics(metrics, server.metrics.host, server.metrics.port);
  const metricsAddress = metricsServer?.address();
  const metricsUrl = metricsAddress && typeof metricsAddress === "object" ? `http://${server.metrics.host}:${metricsAddress.port}/metrics` : undefined;
  app.log.info({ url: address, metrics: metricsUrl, mutating: config.mutating.map((h) => h.name), validating: config.validating.map((h) => h.name) }, "podgate serving");

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      readiness.drain();
      app.log.info({ delaySeconds: server.shutdownDelaySeconds }, "shutting down: not ready, draining");
      if (server.shutdownDelaySeconds > 0) await new Promise((r) => setTimeout(r, server.shutdownDelaySeconds * 1000));
      watcher.close();
      reloader?.stop();
      const closed = app.close();
      connections.drain();
      await closed;
      served.retire();
      for (const stop of stops) await stop();
      await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    })());

  return { app, url: address, ...(metricsUrl ? { metricsUrl } : {}), metrics, readiness, reloadTls, reloadConfig, close };
}

// The system under fuzz: podgate's real app (the embedded default config's
// webhooks, and the extender with all four verbs over a node cache fed from
// the fixtures), in-process. Only the apiserver behind bind is a stand-in.
import { ServedConfig } from "../../src/server/served-config.ts";
import { ModuleLoader } from "../../src/toolkit/modules.ts";
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { registry } from "../../src/wiring.ts";
import { loadConfig } from "../../src/config/default.ts";
import { buildApp } from "../../src/server/app.ts";
import { Metrics } from "../../src/server/metrics.ts";
import { Readiness } from "../../src/server/readiness.ts";
import { ensureLocalCertificates, loadTls } from "../../src/server/tls.ts";
import { apiBinder, type BindingApi } from "../../extender/bind.ts";
import { KubeApiError } from "../../src/kube/errors.ts";
import { NodeCache } from "../../extender/cache/node-cache.ts";
import { extenderSection, type ExtenderConfig } from "../../extender/config.ts";
import { extenderMetrics } from "../../extender/metrics.ts";
import { NodeMemo } from "../../extender/nodeinfo.ts";
import { extenderRoutes, type Verb } from "../../extender/routes.ts";

export type EndpointKind = "admission" | Verb;

export interface Endpoint {
  readonly path: string;
  readonly kind: EndpointKind;
  /** Real wire documents the mutations start from. */
  readonly seeds: readonly unknown[];
  /** The caller's timeout: apiserver timeoutSeconds, or the scheduler's httpTimeout. */
  readonly deadlineMs: number;
}

export interface Target {
  readonly app: FastifyInstance;
  readonly endpoints: readonly Endpoint[];
  readonly metrics: Metrics;
}

const fixturesDir = new URL("../fixtures/", import.meta.url);
const fixture = (path: string): unknown => JSON.parse(readFileSync(new URL(path, fixturesDir), "utf8"));
const ADMISSION_FIXTURES = ["create-pod", "create-pod-dry-run", "update-pod", "update-pod-status", "delete-pod", "connect-pod-exec"].map((n) => `admission/${n}.json`);
const VERBS: readonly Verb[] = ["filter", "prioritize", "bind", "preempt"];
const EXTENDER_SEEDS: Record<Verb, string[]> = {
  filter: ["filter-nodelist.json", "filter-nodenames.json", "filter-nodenames-lowercase.json"],
  prioritize: ["filter-nodelist.json", "filter-nodenames.json"],
  bind: ["bind.json"],
  preempt: ["preempt-full.json", "preempt-meta.json"],
};

/** Binding succeeds unless the pod name says otherwise, so both reply paths run without a cluster. */
const bindingApi: BindingApi = {
  createBinding: (args) => (args.PodName.includes("conflict") ? Promise.reject(new KubeApiError("POST", "/api/v1/namespaces/x/bindings", 409, "conflict")) : Promise.resolve()),
  readPod: () => Promise.resolve(undefined),
};

export async function buildTarget(tlsDir: string): Promise<Target> {
  const config = await loadConfig({}, registry);
  const extender: ExtenderConfig = extenderSection(registry.plugins).schema({ baseDir: process.cwd(), modules: new ModuleLoader() }).parse({ nodeCacheCapable: true, preempt: true, bind: { enabled: true } });
  const metrics = new Metrics();
  const m = extenderMetrics(metrics.registry);
  const cache = new NodeCache();
  cache.replaceNodes(fixture("extender/nodes.json") as unknown[]);
  const deps = { framework: extender.framework, cache, nodes: new NodeMemo(), binder: apiBinder(bindingApi), onPluginError: () => {} };
  await ensureLocalCertificates(tlsDir);
  const app = await buildApp({
    server: { ...config.server, logLevel: "silent" },
    tls: await loadTls(tlsDir),
    served: new ServedConfig(config),
    metrics,
    readiness: new Readiness(),
    logger: false,
    plugins: [extenderRoutes({ urlPrefix: "/extender", verbs: VERBS, deps: () => deps, metrics: () => m })],
  });
  await app.ready();
  const admissionSeeds = ADMISSION_FIXTURES.map(fixture);
  const admission = (path: string, timeoutSeconds: number): Endpoint => ({ path, kind: "admission", seeds: admissionSeeds, deadlineMs: timeoutSeconds * 1000 });
  const slowest = Math.max(...[...config.mutating, ...config.validating].map((h) => h.timeoutSeconds));
  const endpoints: Endpoint[] = [
    admission("/mutate", slowest),
    admission("/validate", slowest),
    ...config.mutating.map((h) => admission(`/mutate/${h.name}`, h.timeoutSeconds)),
    ...config.validating.map((h) => admission(`/validate/${h.name}`, h.timeoutSeconds)),
    ...VERBS.map((verb) => ({ path: `/extender/${verb}`, kind: verb, seeds: EXTENDER_SEEDS[verb].map((f) => fixture(`extender/${f}`)), deadlineMs: extender.httpTimeoutSeconds * 1000 })),
  ];
  return { app, endpoints, metrics };
}

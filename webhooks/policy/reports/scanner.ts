// The background scan: on an interval, and as soon as a reload changes the
// policies, the replica holding the reports Lease lists the objects the
// policies match, judges them as the webhook would (offline.ts), and writes
// one PolicyReport per namespace through the API at a bounded rate, deleting
// the reports nothing asks for any more (the objects or the policies are
// gone). Only declarative policies are scanned: TypeScript modules run on the
// webhook's sandboxed worker, which a scan of every object must not hold.
import { hostname } from "node:os";
import type { CustomObjectsApi } from "@kubernetes/client-node";
import type { FastifyBaseLogger } from "fastify";
import { Counter, Gauge, Histogram } from "prom-client";
import { z } from "zod";
import type { KubeObject } from "../../../src/admission/review.ts";
import type { LoadedConfig } from "../../../src/config/load.ts";
import { defineSection } from "../../../src/config/section.ts";
import type { Extension } from "../../../src/server/serve.ts";
import { evaluateManifests, type TargetResult } from "../offline.ts";
import type { Policy } from "../policy.ts";
import { WORKLOADS } from "../workload.ts";
import { policiesFor, policySettings } from "../webhook.ts";
import { policyReports, reportChanges, writtenResults, MANAGED_BY, type PolicyReport, type ReportResult, type StoredReport } from "./policy-reports.ts";

export const reportsSection = defineSection("reports", () =>
  z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Seconds between scans; a reload that changes the policies scans at once. */
      intervalSeconds: z.number().min(5).max(86_400).default(300),
      /** Report writes per second at most. */
      qps: z.number().positive().max(100).default(5),
      /** The Lease that picks the one replica that scans and writes. */
      namespace: z.string().min(1).default("podgate"),
      lease: z.string().min(1).default("podgate-reports"),
      /** In-cluster credentials or the default kubeconfig when absent. */
      kubeconfig: z.string().min(1).optional(),
    })
    .prefault({}),
);
export type ReportsSettings = ReturnType<typeof reportsSection.of>;

const GROUP = "wgpolicyk8s.io";
const VERSION = "v1alpha2";
const LEASE_SECONDS = 15;
const TICK_MS = 5_000;

/** The declarative policies of every enabled policy webhook entry: what a scan judges with. */
export function scannedPolicies(config: LoadedConfig): Policy[] {
  return config.entries.validating
    .filter((entry) => entry.type === "policy" && entry.enabled)
    .flatMap((entry) => policiesFor({ ...policySettings.parse(entry.settings ?? {}), modules: [] }, config.baseDir, true));
}

/**
 * The list paths of the resources the policies match (every group, version and resource named; wildcards
 * and subresources left out), and the workloads whose pod templates an autogen pod policy judges.
 */
export function listPaths(policies: readonly Policy[]): string[] {
  const path = (group: string, version: string, resource: string) => (group === "" ? `/api/${version}/${resource}` : `/apis/${group}/${version}/${resource}`);
  const paths = new Set<string>();
  for (const rule of policies.flatMap((p) => p.match.resourceRules)) {
    for (const group of rule.apiGroups ?? []) {
      for (const version of rule.apiVersions ?? []) {
        for (const resource of rule.resources ?? []) {
          if (![group, version, resource].includes("*") && !resource.includes("/")) paths.add(path(group, version, resource));
        }
      }
    }
  }
  if (policies.some((p) => p.autogen)) for (const { group, resource } of Object.values(WORKLOADS)) paths.add(path(group, "v1", resource));
  return [...paths].sort();
}

/** Objects judged between two turns of the event loop: a scan of thousands must not hold up the reviews being served. */
const SLICE = 50;

/**
 * Every object judged as `evaluateManifests` judges them all at once, but a slice at a time, yielding to
 * the event loop between slices. Each slice sees every Namespace (their labels decide namespaceSelectors).
 */
export async function judgeInSlices(policies: readonly Policy[], objects: readonly KubeObject[], slice = SLICE): Promise<TargetResult[]> {
  const namespaces = objects.filter((o) => o["kind"] === "Namespace");
  const others = objects.filter((o) => o["kind"] !== "Namespace");
  const results = evaluateManifests(policies, namespaces);
  for (let start = 0; start < others.length; start += slice) {
    await new Promise((resolve) => setImmediate(resolve));
    results.push(...evaluateManifests(policies, [...namespaces, ...others.slice(start, start + slice)]).filter((r) => r.target.manifest["kind"] !== "Namespace"));
  }
  return results;
}

/** The reports of judged objects, a namespace per turn of the event loop: a hundred thousand results take about half a second. */
export async function reportsInSlices(results: readonly TargetResult[], now: Date, previous: ReadonlyMap<string, ReportResult>): Promise<PolicyReport[]> {
  const reports: PolicyReport[] = [];
  for (const group of Map.groupBy(results, (r) => r.target.request.namespace).values()) {
    await new Promise((resolve) => setImmediate(resolve));
    reports.push(...policyReports(group, now, previous));
  }
  return reports;
}

type Get = (path: string) => Promise<unknown>;
interface ListPage {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly items?: KubeObject[];
  readonly metadata?: { readonly continue?: string };
}

/** Every object at a list path, page by page, with the kind and apiVersion a list leaves off its items. */
async function listAll(get: Get, path: string): Promise<KubeObject[]> {
  const objects: KubeObject[] = [];
  let next: string | undefined;
  do {
    const page = (await get(`${path}?limit=500${next ? `&continue=${encodeURIComponent(next)}` : ""}`)) as ListPage;
    const kind = page.kind?.replace(/List$/, "");
    for (const item of page.items ?? []) objects.push({ ...item, apiVersion: page.apiVersion, kind });
    next = page.metadata?.continue || undefined;
  } while (next);
  return objects;
}

/** podgate's reports in the cluster, both kinds, and how to write them. */
function reportStore(api: CustomObjectsApi) {
  const plural = (kind: PolicyReport["kind"]) => (kind === "PolicyReport" ? "policyreports" : "clusterpolicyreports");
  const base = { group: GROUP, version: VERSION };
  return {
    async list(): Promise<StoredReport[]> {
      const labelSelector = Object.entries(MANAGED_BY).map(([k, v]) => `${k}=${v}`).join(",");
      const lists = await Promise.all((["PolicyReport", "ClusterPolicyReport"] as const).map((kind) => api.listClusterCustomObject({ ...base, plural: plural(kind), labelSelector })));
      return lists.flatMap((list) => ((list as { items?: StoredReport[] }).items ?? []));
    },
    write(operation: "create" | "replace" | "delete", report: PolicyReport): Promise<unknown> {
      const { namespace, name } = report.metadata;
      const target = { ...base, plural: plural(report.kind) };
      if (namespace === undefined) {
        if (operation === "create") return api.createClusterCustomObject({ ...target, body: report });
        if (operation === "replace") return api.replaceClusterCustomObject({ ...target, name, body: report });
        return api.deleteClusterCustomObject({ ...target, name });
      }
      if (operation === "create") return api.createNamespacedCustomObject({ ...target, namespace, body: report });
      if (operation === "replace") return api.replaceNamespacedCustomObject({ ...target, namespace, name, body: report });
      return api.deleteNamespacedCustomObject({ ...target, namespace, name });
    },
  };
}

function reportMetrics(registry: ConstructorParameters<typeof Counter>[0]["registers"]) {
  return {
    scans: new Counter({ name: "podgate_report_scans_total", help: "Background scans, by result (ok, failed)", labelNames: ["result"] as const, registers: registry }),
    duration: new Histogram({ name: "podgate_report_scan_duration_seconds", help: "Time one background scan took, listing and writing included", buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120], registers: registry }),
    results: new Gauge({ name: "podgate_report_results", help: "Results in podgate's policy reports after the last scan, by result", labelNames: ["result"] as const, registers: registry }),
    writes: new Counter({ name: "podgate_report_writes_total", help: "Report writes, by operation (create, replace, delete)", labelNames: ["operation"] as const, registers: registry }),
  };
}

export function reportsExtension(settings: ReportsSettings, config: LoadedConfig): Extension {
  let policies = scannedPolicies(config);
  let due = true;
  return {
    name: "reports",
    async start({ metrics: serverMetrics, log }) {
      // Imported here: the Kubernetes client costs ~85 MB of RSS, paid only when reports are on.
      const [{ CustomObjectsApi }, { loadKubeConfig }, { kubeLeaseApi, LeaderElector }, { kubeRequest }] = await Promise.all([
        import("@kubernetes/client-node"),
        import("../../../src/kube/client.ts"),
        import("../../../src/kube/lease.ts"),
        import("../../../src/kube/api-request.ts"),
      ]);
      const kubeConfig = loadKubeConfig(settings.kubeconfig);
      const request = kubeRequest(kubeConfig, { maxSockets: 2 });
      const get: Get = (path) => request("GET", path);
      const store = reportStore(kubeConfig.makeApiClient(CustomObjectsApi));
      const m = reportMetrics([serverMetrics.registry]);
      const elector = new LeaderElector(kubeLeaseApi(kubeConfig, settings.namespace, settings.lease), { identity: process.env["POD_NAME"] ?? hostname(), durationSeconds: LEASE_SECONDS });
      let lastScan = 0;
      let running: Promise<void> | undefined;

      const scan = async (scanLog: FastifyBaseLogger) => {
        const started = performance.now();
        const judged = policies;
        const objects = (await Promise.all(["/api/v1/namespaces", ...listPaths(judged)].map((path) => listAll(get, path)))).flat();
        const existing = await store.list();
        const desired = await reportsInSlices(await judgeInSlices(judged, objects), new Date(), writtenResults(existing));
        const changes = reportChanges(existing, desired);
        // A token bucket of one: writes spaced 1/qps apart.
        for (const [operation, reports] of [["create", changes.create], ["replace", changes.replace], ["delete", changes.remove]] as const) {
          for (const report of reports) {
            await store.write(operation, report);
            m.writes.inc({ operation });
            await new Promise((r) => setTimeout(r, 1000 / settings.qps));
          }
        }
        const totals = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
        for (const report of desired) for (const [k, v] of Object.entries(report.summary)) totals[k as keyof typeof totals] += v;
        for (const [result, count] of Object.entries(totals)) m.results.set({ result }, count);
        m.duration.observe((performance.now() - started) / 1000);
        scanLog.info({ policies: judged.length, objects: objects.length, reports: desired.length, created: changes.create.length, replaced: changes.replace.length, deleted: changes.remove.length, ...totals, durationMs: Math.round(performance.now() - started) }, "policy reports scanned");
      };

      const tick = async () => {
        let leading: boolean;
        try {
          leading = await elector.tryLead();
        } catch (error) {
          log.warn({ err: error }, "reports lease: campaign failed");
          return;
        }
        if (!leading || running || (!due && Date.now() - lastScan < settings.intervalSeconds * 1000)) return;
        due = false;
        lastScan = Date.now();
        running = scan(log)
          .then(() => void m.scans.inc({ result: "ok" }))
          .catch((error: unknown) => {
            m.scans.inc({ result: "failed" });
            // Retried on the next tick, not after a whole interval.
            due = true;
            log.warn({ err: error }, "policy report scan failed; retrying");
          })
          .finally(() => (running = undefined));
      };
      const timer = setInterval(() => void tick(), TICK_MS);
      timer.unref();
      void tick();
      log.info({ intervalSeconds: settings.intervalSeconds, qps: settings.qps, lease: `${settings.namespace}/${settings.lease}` }, "policy reports enabled");
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
    adopt(next) {
      policies = scannedPolicies(next);
      due = true;
    },
  };
}

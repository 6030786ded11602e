// Policy results as wgpolicyk8s.io/v1alpha2 PolicyReports: one per namespace
// (ClusterPolicyReport for cluster-scoped objects), a result per object and
// policy that judged it. The API Kyverno writes by default and Policy Reporter
// and other tools read (docs/reports.md says why not OpenReports yet). Pure:
// the scan's evaluations in, the reports as they should be out.
import { isDeepStrictEqual } from "node:util";
import type { KubeObject } from "../../../src/admission/review.ts";
import type { TargetResult } from "../offline.ts";

export const REPORT_API_VERSION = "wgpolicyk8s.io/v1alpha2";
/** The label that marks podgate's reports: the scan owns them, and deletes those no longer wanted. */
export const MANAGED_BY = { "app.kubernetes.io/managed-by": "podgate" } as const;
export const REPORT_NAME = "podgate";
export const SOURCE = "podgate";

export type ResultValue = "pass" | "fail" | "warn" | "error" | "skip";

export interface ReportResult {
  readonly source: string;
  readonly policy: string;
  /** Which part of the object was judged: the object itself, or a workload's pod template (spec.template). */
  readonly rule: string;
  readonly result: ResultValue;
  readonly message?: string;
  readonly scored: boolean;
  readonly timestamp: { readonly seconds: number; readonly nanos: number };
  readonly resources: readonly { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string }[];
  readonly properties: Readonly<Record<string, string>>;
}

export interface PolicyReport {
  readonly apiVersion: typeof REPORT_API_VERSION;
  readonly kind: "PolicyReport" | "ClusterPolicyReport";
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>> };
  readonly summary: Readonly<Record<ResultValue, number>>;
  readonly results: readonly ReportResult[];
}

const text = (value: unknown) => (typeof value === "string" ? value : "");
const metadataOf = (object: KubeObject | null | undefined) => (object?.["metadata"] ?? {}) as { name?: string; namespace?: string; uid?: string };

/** What identifies a result across scans: unchanged, it keeps the timestamp of when it was first seen. */
export const resultKey = (r: Pick<ReportResult, "policy" | "rule" | "result" | "message" | "resources">): string =>
  JSON.stringify([r.policy, r.rule, r.result, r.message ?? "", r.resources.map((x) => x.uid ?? `${x.kind}/${x.namespace ?? ""}/${x.name}`)]);

/**
 * Results per report at most: about 290 kB of JSON, well inside the apiserver's 1.5 MiB object limit. A
 * namespace with more gets more reports (podgate, podgate-2, …).
 */
export const MAX_RESULTS = 1000;

/**
 * The reports for one scan. `previous` are the results already written, by key, so an unchanged
 * result keeps its timestamp and an unchanged report is not written again.
 */
export function policyReports(results: readonly TargetResult[], now: Date, previous: ReadonlyMap<string, ReportResult> = new Map()): PolicyReport[] {
  const timestamp = { seconds: Math.floor(now.getTime() / 1000), nanos: 0 };
  const byNamespace = new Map<string | undefined, { key: string; result: ReportResult }[]>();
  for (const { target, outcomes } of results) {
    const meta = metadataOf(target.manifest);
    const resource = {
      apiVersion: text(target.manifest["apiVersion"]),
      kind: text(target.manifest["kind"]),
      name: meta.name ?? "",
      ...(target.request.namespace ? { namespace: target.request.namespace } : {}),
      ...(meta.uid ? { uid: meta.uid } : {}),
    };
    for (const { policy, verdict } of outcomes) {
      if (verdict.result === "skip") continue;
      const message = verdict.result === "fail" ? verdict.violations.map((v) => v.message).join("; ") : verdict.result === "error" ? verdict.error : undefined;
      const draft = { policy: policy.name, rule: target.template ?? "object", result: verdict.result, ...(message ? { message } : {}), resources: [resource] };
      const key = resultKey(draft);
      const result: ReportResult = {
        source: SOURCE,
        ...draft,
        scored: true,
        timestamp: previous.get(key)?.timestamp ?? timestamp,
        properties: { validationActions: policy.validationActions.join(",") },
      };
      const list = byNamespace.get(target.request.namespace) ?? [];
      list.push({ key, result });
      byNamespace.set(target.request.namespace, list);
    }
  }
  return [...byNamespace]
    .sort(([a], [b]) => ((a ?? "") < (b ?? "") ? -1 : 1))
    .flatMap(([namespace, list]) => {
      const sorted = list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((entry) => entry.result);
      return Array.from({ length: Math.ceil(sorted.length / MAX_RESULTS) }, (_, part) => {
        const results = sorted.slice(part * MAX_RESULTS, (part + 1) * MAX_RESULTS);
        const summary = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 };
        for (const r of results) summary[r.result]++;
        return {
          apiVersion: REPORT_API_VERSION,
          kind: namespace === undefined ? "ClusterPolicyReport" : "PolicyReport",
          metadata: { name: part === 0 ? REPORT_NAME : `${REPORT_NAME}-${part + 1}`, ...(namespace === undefined ? {} : { namespace }), labels: { ...MANAGED_BY } },
          summary,
          results,
        } satisfies PolicyReport;
      });
    });
}

/** A report as read back from the API: what it says, and the version to replace it by. */
export type StoredReport = PolicyReport & { readonly metadata: PolicyReport["metadata"] & { readonly resourceVersion?: string } };

export interface ReportChanges {
  readonly create: readonly PolicyReport[];
  readonly replace: readonly StoredReport[];
  readonly remove: readonly StoredReport[];
}

const reportKey = (r: Pick<PolicyReport, "kind" | "metadata">) => `${r.kind}/${r.metadata.namespace ?? ""}/${r.metadata.name}`;

/** The earlier results by key, so the next scan keeps the timestamps of those unchanged. */
export function writtenResults(existing: readonly StoredReport[]): Map<string, ReportResult> {
  return new Map(existing.flatMap((report) => (report.results ?? []).map((r) => [resultKey(r), r] as const)));
}

/** What to write: new reports, changed ones (with the stored resourceVersion), and those nothing asks for any more. */
export function reportChanges(existing: readonly StoredReport[], desired: readonly PolicyReport[]): ReportChanges {
  const stored = new Map(existing.map((r) => [reportKey(r), r]));
  const wanted = new Set(desired.map(reportKey));
  const create: PolicyReport[] = [];
  const replace: StoredReport[] = [];
  for (const report of desired) {
    const current = stored.get(reportKey(report));
    if (!current) create.push(report);
    // Key order aside: the apiserver writes a custom object's keys sorted.
    else if (!isDeepStrictEqual([current.summary, current.results], [report.summary, report.results])) {
      replace.push({ ...report, metadata: { ...report.metadata, ...(current.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}) } });
    }
  }
  return { create, replace, remove: existing.filter((r) => !wanted.has(reportKey(r))) };
}

// Evaluating policies against manifests without a cluster: what `podgate apply`
// and `podgate test` share.
import type { KubeObject, Operation } from "../../src/admission/review.ts";
import { judging } from "./autogen.ts";
import { evaluateAll, type PolicyOutcome } from "./decide.ts";
import type { Policy, Verdict } from "./policy.ts";
import { targetsOf, type Target } from "./workload.ts";

export interface TargetResult {
  readonly target: Target;
  readonly outcomes: readonly PolicyOutcome[];
}

const isObject = (v: unknown): v is KubeObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Manifests as a flat list: `kind: List` items are unpacked. */
export function flattenManifests(documents: readonly unknown[]): KubeObject[] {
  return documents.flatMap((d) => {
    if (!isObject(d)) return [];
    if (typeof d["kind"] === "string" && d["kind"].endsWith("List") && Array.isArray(d["items"])) return flattenManifests(d["items"] as unknown[]);
    return [d];
  });
}

/** Namespace manifests given alongside, so namespaceSelector and namespaceObject work offline. */
function namespaceIndex(manifests: readonly KubeObject[]): Map<string, KubeObject> {
  const index = new Map<string, KubeObject>();
  for (const m of manifests) {
    const name = (m["metadata"] as { name?: unknown } | undefined)?.name;
    if (m["kind"] === "Namespace" && typeof name === "string") index.set(name, m);
  }
  return index;
}

export function evaluateManifests(policies: readonly Policy[], manifests: readonly KubeObject[], operation: Operation = "CREATE"): TargetResult[] {
  const namespaces = namespaceIndex(manifests);
  return manifests.flatMap((manifest) =>
    targetsOf(manifest, operation).map((target) => {
      const ns = target.request.namespace;
      // Cluster-scoped: no namespace (null); an unlisted namespace is unknown (undefined).
      const namespaceObject = ns === undefined ? null : namespaces.get(ns);
      const judges = judging(policies, target);
      return { target, outcomes: evaluateAll(judges, { request: target.request, ...(namespaceObject === undefined ? {} : { namespaceObject }) }) };
    }),
  );
}

export type Result = Verdict["result"];
const SEVERITY: Readonly<Record<Result, number>> = { skip: 0, pass: 1, fail: 2, error: 3 };

/** The verdicts on one name across its targets (a Deployment and its template): the most severe counts. */
export function worst(verdicts: readonly Verdict[]): Verdict {
  return verdicts.reduce<Verdict>((a, b) => (SEVERITY[b.result] > SEVERITY[a.result] ? b : a), { result: "skip" });
}

export function messagesOf(verdict: Verdict): string[] {
  if (verdict.result === "fail") return verdict.violations.map((v) => v.message);
  if (verdict.result === "error") return [verdict.error];
  return [];
}

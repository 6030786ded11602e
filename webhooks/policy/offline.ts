// Evaluating policies against manifests without a cluster: what `podgate apply`
// and `podgate test` share.
import type { KubeObject, Operation } from "../../src/admission/review.ts";
import { judging } from "./autogen.ts";
import type { AuthzFixture } from "./cel-lib/authz.ts";
import { evaluateAll, type PolicyOutcome } from "./decide.ts";
import type { Policy, Verdict } from "./policy.ts";
import { targetsOf, type Target } from "./workload.ts";

export interface TargetResult {
  readonly target: Target;
  readonly outcomes: readonly PolicyOutcome[];
  /** The target's namespace when no Namespace manifest was given for it. */
  readonly unknownNamespace?: string;
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

/**
 * A namespace no manifest describes, as the apiserver would see it once created plainly: no labels but
 * the kubernetes.io/metadata.name one it sets on every namespace. So a selector is not assumed to match.
 */
export function unlabelledNamespace(name: string): KubeObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "kubernetes.io/metadata.name": name } } };
}

/**
 * `authorizer` answers the policies' authorizer checks (offline there is no cluster to ask);
 * `onProgress` hears after each manifest how many of them are done.
 */
export function evaluateManifests(
  policies: readonly Policy[],
  manifests: readonly KubeObject[],
  operation: Operation = "CREATE",
  authorizer?: AuthzFixture,
  onProgress?: (done: number, total: number) => void,
): TargetResult[] {
  const namespaces = namespaceIndex(manifests);
  return manifests.flatMap((manifest, index) => {
    onProgress?.(index, manifests.length);
    return targetsOf(manifest, operation).map((target) => {
      const ns = target.request.namespace;
      const known = ns === undefined ? undefined : namespaces.get(ns);
      // Cluster-scoped: no namespace (null).
      const namespaceObject = ns === undefined ? null : (known ?? unlabelledNamespace(ns));
      const outcomes = evaluateAll(judging(policies, target), { request: target.request, namespaceObject, authorizer });
      return { target, outcomes, ...(ns !== undefined && !known ? { unknownNamespace: ns } : {}) };
    });
  });
}

/**
 * What the output says when a namespace selector met a namespace no manifest describes: the policies
 * judged it as a namespace without labels, which the cluster's namespace may not be.
 */
export function unknownNamespacesNote(policies: readonly Policy[], results: readonly TargetResult[]): string | undefined {
  if (!policies.some((p) => p.match.namespaceSelector !== undefined)) return undefined;
  const unknown = [...new Set(results.flatMap((r) => (r.unknownNamespace === undefined ? [] : [r.unknownNamespace])))];
  if (unknown.length === 0) return undefined;
  return `note: no Namespace manifest for ${unknown.join(", ")}: judged as namespaces with no labels (but kubernetes.io/metadata.name), so namespaceSelectors may not match them; add their Namespace manifests to judge them as labelled`;
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

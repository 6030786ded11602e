// Evaluating policies against manifests without a cluster: what `podgate apply`
// and `podgate test` share.
import { deny, type Decision } from "../../src/admission/handler.ts";
import { diffPatch, type PatchOperation } from "../../src/admission/patch.ts";
import type { AdmissionRequest, KubeObject, Operation } from "../../src/admission/review.ts";
import { judging } from "./autogen.ts";
import type { AuthzFixture } from "./cel-lib/authz.ts";
import { decide, evaluateAll, type PolicyOutcome } from "./decide.ts";
import { mutateAll, type MutatingPolicy } from "./mutating.ts";
import type { Policy, Verdict } from "./policy.ts";
import { targetsOf, type Target } from "./workload.ts";

/** What the mutating policies did to a manifest before the validating ones judged it. */
export interface MutationSummary {
  /** The runs of the mutating policies that matched, in order (one that the apiserver reinvokes runs twice): whether each changed the object, and its errors. */
  readonly runs: readonly { readonly policy: string; readonly changed: boolean; readonly errors: readonly string[] }[];
  /** The JSON Patch from the manifest to the object the validating policies judged. */
  readonly patch: readonly PatchOperation[];
  /** The object after every mutation. */
  readonly object: KubeObject;
  /** Errors of mutations whose policy's failurePolicy is Ignore (their mutation was skipped). */
  readonly ignored: readonly string[];
  /** Set when a failed mutation of a Fail policy denies the request. */
  readonly denial?: string;
}

export interface TargetResult {
  readonly target: Target;
  readonly outcomes: readonly PolicyOutcome[];
  /** The target's namespace when no Namespace manifest was given for it. */
  readonly unknownNamespace?: string;
  /** For a manifest some mutating policy matched (not on a workload's pod template: the apiserver mutates the object admitted). */
  readonly mutation?: MutationSummary;
}

/** The admission decision for a target: a mutation's denial comes first, as the apiserver mutates before it validates. */
export function decisionOf(result: TargetResult): Decision {
  return result.mutation?.denial !== undefined ? deny(result.mutation.denial, 403, { reason: "Invalid" }) : decide(result.outcomes);
}

/** The mutating policies on a manifest's own request; undefined when none matched. */
function mutationOf(policies: readonly MutatingPolicy[], request: AdmissionRequest, namespaceObject: KubeObject | null, authorizer: AuthzFixture | undefined): MutationSummary | undefined {
  const result = mutateAll(policies, { request, namespaceObject, authorizer });
  const ran = result.outcomes.filter((o) => o.run.result === "ran");
  if (ran.length === 0) return undefined;
  const original = request.object!;
  return {
    runs: ran.map((o) => ({ policy: o.policy.name, changed: o.changed, errors: o.run.result === "ran" ? o.run.errors : [] })),
    patch: result.object === original ? [] : diffPatch(original, result.object),
    object: result.object,
    ignored: ran.flatMap((o) => (o.run.result === "ran" && o.policy.failurePolicy === "Ignore" ? o.run.errors.map((e) => `${o.policy.name}: ${e}`) : [])),
    ...(result.denial !== undefined ? { denial: result.denial } : {}),
  };
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

export interface EvaluateOptions {
  readonly operation?: Operation;
  /** Answers the policies' authorizer checks (offline there is no cluster to ask). */
  readonly authorizer?: AuthzFixture | undefined;
  /** Hears after each manifest how many of them are done. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Run on each manifest (CREATE and UPDATE) before the validating policies judge it. */
  readonly mutating?: readonly MutatingPolicy[];
}

export function evaluateManifests(policies: readonly Policy[], manifests: readonly KubeObject[], options: EvaluateOptions = {}): TargetResult[] {
  const { operation = "CREATE", authorizer, onProgress, mutating = [] } = options;
  const namespaces = namespaceIndex(manifests);
  // Cluster-scoped: no namespace (null).
  const namespaceFor = (ns: string | undefined) => (ns === undefined ? null : (namespaces.get(ns) ?? unlabelledNamespace(ns)));
  return manifests.flatMap((manifest, index) => {
    onProgress?.(index, manifests.length);
    const targets = targetsOf(manifest, operation);
    const own = targets[0]!.request;
    const mutation = mutating.length > 0 && (operation === "CREATE" || operation === "UPDATE") ? mutationOf(mutating, own, namespaceFor(own.namespace), authorizer) : undefined;
    // The validating policies judge the object as mutated (and a workload's template in it).
    const judged = mutation && mutation.denial === undefined && mutation.object !== own.object ? targetsOf(mutation.object, operation) : targets;
    return judged.map((target) => {
      const ns = target.request.namespace;
      const known = ns === undefined ? undefined : namespaces.get(ns);
      const outcomes = evaluateAll(judging(policies, target), { request: target.request, namespaceObject: namespaceFor(ns), authorizer });
      return { target, outcomes, ...(ns !== undefined && !known ? { unknownNamespace: ns } : {}), ...(mutation && target.template === undefined ? { mutation } : {}) };
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

// Mutating policies as Kubernetes objects: a MutatingAdmissionPolicy and its
// Binding (admissionregistration.k8s.io/v1, GA in 1.36) per policy, so a
// cluster with the API mutates with no webhook at all.
import type { Skipped } from "./export.ts";
import { compileCel } from "./cel.ts";
import type { MutatingPolicy } from "./mutating.ts";

const ADMISSIONREGISTRATION = "admissionregistration.k8s.io/v1";

function expressionsOf(policy: MutatingPolicy): string[] {
  const spec = policy.document.spec;
  return [...(spec.matchConditions ?? []).map((c) => c.expression), ...(spec.variables ?? []).map((v) => v.expression)];
}

/** Why a policy cannot run in-tree, or undefined when it can. */
function notExportable(policy: MutatingPolicy): string | undefined {
  const readsParams = [...expressionsOf(policy).map((e) => compileCel(e, "any")), ...policy.document.spec.mutations.map((m) => (m.applyConfiguration ? compileCel(m.applyConfiguration.expression, "Object") : compileCel(m.jsonPatch!.expression, "list<JSONPatch>")))].some((p) => p.usesParams);
  // podgate binds params from the policy file; in-tree they would need a paramKind resource and a paramRef.
  return readsParams ? "reads params (podgate supplies them from the policy; a MutatingAdmissionPolicy needs a paramKind resource)" : undefined;
}

/** What a MutatingAdmissionPolicy for pod creates carries beside its rules: podgate's exports of the sidecar and defaults. */
interface PodMutationPolicy {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly excludeNamespaces: readonly string[];
  readonly matchConditions?: readonly { name: string; expression: string }[];
  readonly variables: readonly { name: string; expression: string }[];
  /** JSONPatch expressions, one mutation each. */
  readonly patches: readonly string[];
}

/** The pod's namespace as the webhooks read it (its own, else the request's), for exported policies' variables. */
export const POD_NAMESPACE_VARIABLE = { name: "podNamespace", expression: "object.metadata.?namespace.orValue(request.namespace)" } as const;

/** A MutatingAdmissionPolicy on pod creates outside the excluded namespaces, and its Binding. */
export function podMutationObjects(p: PodMutationPolicy): Record<string, unknown>[] {
  return [
    {
      apiVersion: ADMISSIONREGISTRATION,
      kind: "MutatingAdmissionPolicy",
      metadata: { name: p.name, labels: { "app.kubernetes.io/managed-by": "podgate", ...p.labels } },
      spec: {
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        matchConstraints: {
          resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Namespaced" }],
          namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...p.excludeNamespaces] }] },
        },
        ...(p.matchConditions ? { matchConditions: p.matchConditions } : {}),
        variables: p.variables,
        mutations: p.patches.map((expression) => ({ patchType: "JSONPatch", jsonPatch: { expression } })),
      },
    },
    { apiVersion: ADMISSIONREGISTRATION, kind: "MutatingAdmissionPolicyBinding", metadata: { name: `${p.name}-binding` }, spec: { policyName: p.name } },
  ];
}

/** The MutatingAdmissionPolicy + MutatingAdmissionPolicyBinding of each exportable policy, and the policies skipped with why. */
export function exportMap(policies: readonly MutatingPolicy[]): { objects: Record<string, unknown>[]; skipped: Skipped[] } {
  const objects: Record<string, unknown>[] = [];
  const skipped: Skipped[] = [];
  for (const policy of policies) {
    const reason = notExportable(policy);
    if (reason) {
      skipped.push({ policy: policy.name, reason });
      continue;
    }
    const { params: _params, paramsSchema: _schema, ...spec } = policy.document.spec;
    const { labels } = policy.document.metadata;
    objects.push(
      { apiVersion: ADMISSIONREGISTRATION, kind: "MutatingAdmissionPolicy", metadata: { name: policy.name, ...(labels ? { labels } : {}) }, spec },
      { apiVersion: ADMISSIONREGISTRATION, kind: "MutatingAdmissionPolicyBinding", metadata: { name: `${policy.name}-binding`, ...(labels ? { labels } : {}) }, spec: { policyName: policy.name } },
    );
  }
  return { objects, skipped };
}

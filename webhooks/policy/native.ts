// Native ValidatingAdmissionPolicies in: the objects a cluster runs
// (admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy, its Bindings and
// their param objects, as they sit in a user's repo) become podgate policies,
// one per binding (and per param object a binding selects), with the
// binding's validationActions and params and its matchResources folded into
// the policy's matchConstraints. podgate then tests natively run policies offline.
import { z } from "zod";
import { issueProblems } from "../../src/issues.ts";
import { PolicyError } from "./declarative.ts";
import { NATIVE_POLICY_ANNOTATION } from "./mutating.ts";
import { labelSelector, matchCondition, matchConstraints, mutatingPolicyDocument, mutation, policyDocument, reason, ruleWithOperations, validation, validationActions, variable, type LabelSelector, type MutatingPolicyDocument, type PolicyDocument } from "./schema.ts";

const NATIVE_API_VERSION = "admissionregistration.k8s.io/v1";
const metadata = z.looseObject({ name: z.string().min(1) });

const nativePolicy = z.strictObject({
  apiVersion: z.literal(NATIVE_API_VERSION),
  kind: z.literal("ValidatingAdmissionPolicy"),
  metadata,
  spec: z.strictObject({
    paramKind: z.strictObject({ apiVersion: z.string().min(1), kind: z.string().min(1) }).optional(),
    matchConstraints,
    // VAP's default reason is Invalid (podgate's own format defaults to Forbidden).
    validations: z.array(validation.extend({ reason: reason.default("Invalid") })).min(1, "at least one validation (podgate does not support auditAnnotations-only policies yet)"),
    failurePolicy: z.enum(["Fail", "Ignore"]).default("Fail"),
    auditAnnotations: z.array(z.unknown()).max(0, "auditAnnotations are not supported yet: remove them to test the policy's validations").optional(),
    matchConditions: z.array(matchCondition).max(64).optional(),
    variables: z.array(variable).optional(),
  }),
  status: z.unknown().optional(),
});

const nativeMutatingPolicy = z.strictObject({
  apiVersion: z.literal(NATIVE_API_VERSION),
  kind: z.literal("MutatingAdmissionPolicy"),
  metadata,
  spec: z.strictObject({
    paramKind: z.strictObject({ apiVersion: z.string().min(1), kind: z.string().min(1) }).optional(),
    matchConstraints,
    variables: z.array(variable).optional(),
    mutations: z.array(mutation).min(1, "at least one mutation"),
    failurePolicy: z.enum(["Fail", "Ignore"]).default("Fail"),
    matchConditions: z.array(matchCondition).max(64).optional(),
    reinvocationPolicy: z.enum(["Never", "IfNeeded"]).default("Never"),
  }),
  status: z.unknown().optional(),
});

/** A binding's matchResources: every field optional (empty resourceRules match everything the policy does). */
const bindingMatch = z.strictObject({
  resourceRules: z.array(ruleWithOperations).max(0, "a binding's resourceRules are not supported yet: narrow the policy's matchConstraints instead").optional(),
  excludeResourceRules: z.array(ruleWithOperations).optional(),
  namespaceSelector: labelSelector.optional(),
  objectSelector: labelSelector.optional(),
  matchPolicy: z.enum(["Exact", "Equivalent"]).optional(),
});

const paramRef = z
  .strictObject({
    name: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    selector: labelSelector.optional(),
    parameterNotFoundAction: z.enum(["Allow", "Deny"]),
  })
  .refine((r) => (r.name === undefined) !== (r.selector === undefined), "exactly one of name and selector");

const nativeBinding = z.strictObject({
  apiVersion: z.literal(NATIVE_API_VERSION),
  kind: z.literal("ValidatingAdmissionPolicyBinding"),
  metadata,
  spec: z.strictObject({
    policyName: z.string().min(1),
    paramRef: paramRef.optional(),
    matchResources: bindingMatch.optional(),
    validationActions,
  }),
});

const nativeMutatingBinding = z.strictObject({
  apiVersion: z.literal(NATIVE_API_VERSION),
  kind: z.literal("MutatingAdmissionPolicyBinding"),
  metadata,
  spec: z.strictObject({
    policyName: z.string().min(1),
    paramRef: paramRef.optional(),
    matchResources: bindingMatch.optional(),
  }),
});

type NativePolicy = z.infer<typeof nativePolicy> | z.infer<typeof nativeMutatingPolicy>;
type NativeBinding = z.infer<typeof nativeBinding> | z.infer<typeof nativeMutatingBinding>;

/** Each native policy kind with its schema, and its binding's kind with that one's. */
const NATIVE_KINDS = {
  ValidatingAdmissionPolicy: nativePolicy,
  MutatingAdmissionPolicy: nativeMutatingPolicy,
  ValidatingAdmissionPolicyBinding: nativeBinding,
  MutatingAdmissionPolicyBinding: nativeMutatingBinding,
} as const;
const isNativeKind = (kind: unknown): kind is keyof typeof NATIVE_KINDS => typeof kind === "string" && Object.hasOwn(NATIVE_KINDS, kind);

/**
 * A document of a policy file that is a native policy, binding or param
 * object: any object but a podgate Policy (whose apiVersion, even mistyped,
 * is then checked as podgate's).
 */
export function isNativeDocument(raw: unknown): boolean {
  const { apiVersion, kind } = (raw ?? {}) as { apiVersion?: unknown; kind?: unknown };
  return typeof apiVersion === "string" && !apiVersion.startsWith("podgate.dev/") && kind !== "Policy";
}

interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
}

function selects(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every((r) => {
      const has = Object.hasOwn(labels, r.key);
      if (r.operator === "Exists") return has;
      if (r.operator === "DoesNotExist") return !has;
      const inValues = has && (r.values ?? []).includes(labels[r.key]!);
      return r.operator === "In" ? inValues : !inValues;
    })
  );
}

/** Both selectors must hold: one selector with both sets of requirements. */
function bothSelectors(a: LabelSelector | undefined, b: LabelSelector | undefined): LabelSelector | undefined {
  if (!a || !b) return a ?? b;
  const asExpressions = (s: LabelSelector) => [...Object.entries(s.matchLabels ?? {}).map(([key, value]) => ({ key, operator: "In" as const, values: [value] })), ...(s.matchExpressions ?? [])];
  return { matchExpressions: [...asExpressions(a), ...asExpressions(b)] };
}

const NOT_FOUND = "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction";

/** The params a binding selects: [undefined] for a policy without paramKind; [] when none were found. */
function paramsOf(policy: NativePolicy, binding: NativeBinding, objects: readonly KubeObject[], where: string): (KubeObject | undefined)[] {
  const kind = policy.spec.paramKind;
  const ref = binding.spec.paramRef;
  if (!kind) return [undefined];
  if (!ref) throw new PolicyError([`${where}: the policy has a paramKind, so the binding needs a paramRef`]);
  const candidates = objects.filter((o) => o.apiVersion === kind.apiVersion && o.kind === kind.kind);
  if (ref.namespace === undefined && candidates.some((o) => o.metadata.namespace !== undefined)) {
    throw new PolicyError([`${where}: a paramRef without a namespace takes namespaced params from each request's namespace, which podgate does not support yet: give paramRef.namespace`]);
  }
  return candidates.filter((o) => (o.metadata.namespace ?? undefined) === ref.namespace && (ref.name !== undefined ? o.metadata.name === ref.name : selects(ref.selector!, o.metadata.labels ?? {})));
}

function nativeProblems(what: string, issues: z.core.$ZodIssue[]): string[] {
  return issueProblems(issues).map((p) => `${what}: ${p}`);
}

/**
 * podgate policies for the native objects among `documents` (each with the
 * file it came from). Bindings name their policy; params are the other
 * objects. A policy without a binding is not enforced by the apiserver, so
 * it yields nothing; a binding without its policy is an error.
 */
export function fromNative(documents: readonly { raw: unknown; file: string }[]): { document: PolicyDocument | MutatingPolicyDocument; file: string }[] {
  const problems: string[] = [];
  const policies = new Map<string, { policy: NativePolicy; file: string }>();
  const bindings: { binding: NativeBinding; file: string }[] = [];
  const objects: KubeObject[] = [];
  for (const { raw, file } of documents) {
    const kind = (raw as { kind?: unknown }).kind;
    const name = (raw as { metadata?: { name?: unknown } }).metadata?.name;
    const what = `${String(kind)} "${String(name)}" (${file})`;
    if (isNativeKind(kind)) {
      const parsed = NATIVE_KINDS[kind].safeParse(raw);
      if (!parsed.success) problems.push(...nativeProblems(what, parsed.error.issues));
      else if (kind.endsWith("Binding")) bindings.push({ binding: parsed.data as NativeBinding, file });
      // Validating and mutating policies have separate names, as separate API kinds.
      else policies.set(`${kind}/${parsed.data.metadata.name}`, { policy: parsed.data as NativePolicy, file });
    } else if (typeof kind === "string" && typeof name === "string") objects.push(raw as KubeObject);
    else problems.push(`document (${file}): not a podgate Policy, a Validating/MutatingAdmissionPolicy, a binding or a param object (it needs a kind and metadata.name)`);
  }
  const out: { document: PolicyDocument | MutatingPolicyDocument; file: string }[] = [];
  const used = new Set<KubeObject>();
  for (const { binding, file } of bindings) {
    const policyKind = binding.kind.slice(0, -"Binding".length);
    const where = `${binding.kind} "${binding.metadata.name}" (${file})`;
    const target = policies.get(`${policyKind}/${binding.spec.policyName}`);
    if (!target) {
      problems.push(`${where}: no ${policyKind} "${binding.spec.policyName}" among the policies given`);
      continue;
    }
    const { policy } = target;
    let params: (KubeObject | undefined)[];
    try {
      params = paramsOf(policy, binding, objects, where);
      for (const p of params) if (p) used.add(p);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(...error.problems);
      continue;
    }
    const match = binding.spec.matchResources;
    const constraints = {
      ...policy.spec.matchConstraints,
      excludeResourceRules: [...(policy.spec.matchConstraints.excludeResourceRules ?? []), ...(match?.excludeResourceRules ?? [])],
      namespaceSelector: bothSelectors(policy.spec.matchConstraints.namespaceSelector, match?.namespaceSelector),
      objectSelector: bothSelectors(policy.spec.matchConstraints.objectSelector, match?.objectSelector),
    };
    const notFoundDenies = params.length === 0 && binding.spec.paramRef?.parameterNotFoundAction === "Deny";
    const annotations = { [NATIVE_POLICY_ANNOTATION]: policy.metadata.name };
    const named = (suffix: string) => ({ name: `${binding.metadata.name}${suffix}`, annotations });
    const withParams = (base: object) => params.map((p, i) => ({ metadata: named(params.length > 1 ? `-${i}` : ""), spec: p ? { ...base, params: paramsObject(p) } : base }));
    const parsed =
      policy.kind === "ValidatingAdmissionPolicy"
        ? (() => {
            const { paramKind: _paramKind, auditAnnotations: _audit, ...spec } = policy.spec;
            const base = { ...spec, matchConstraints: constraints, validationActions: (binding as z.infer<typeof nativeBinding>).spec.validationActions };
            const variants = notFoundDenies ? [{ metadata: named(""), spec: { ...base, variables: undefined, validations: [{ expression: "false", message: NOT_FOUND, reason: "Invalid" as const }] } }] : withParams(base);
            return variants.map((v) => policyDocument.safeParse({ apiVersion: "podgate.dev/v1alpha1", kind: "Policy", ...v }));
          })()
        : (() => {
            if (notFoundDenies) {
              problems.push(`${where}: no params found and parameterNotFoundAction is Deny: the apiserver fails every request the binding matches (${NOT_FOUND}); give the param object`);
              return [];
            }
            const { paramKind: _paramKind, ...spec } = policy.spec;
            return withParams({ ...spec, matchConstraints: constraints }).map((v) => mutatingPolicyDocument.safeParse({ apiVersion: "podgate.dev/v1alpha1", kind: "MutatingPolicy", ...v }));
          })();
    for (const result of parsed) {
      if (result.success) out.push({ document: result.data, file });
      else problems.push(...nativeProblems(where, result.error.issues));
    }
  }
  for (const o of objects) {
    if (!used.has(o)) problems.push(`${o.kind} "${o.metadata.name}": not a policy or a binding, and no binding's paramRef selects it`);
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return out;
}

/** A param object as the policy's `params`: the whole object, as VAP binds it. */
const paramsObject = (o: KubeObject) => o as unknown as Record<string, unknown>;

// The policy file format: Kubernetes ValidatingAdmissionPolicy's spec, with the
// binding's validationActions and the params folded in, so one file is one
// enforceable policy. schemas/policy.schema.json is generated from these.
import { z } from "zod";

export const POLICY_API_VERSION = "podgate.dev/v1alpha1";

const operation = z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT", "*"]);

const nonEmptyStrings = (what: string) => z.array(z.string()).min(1, `at least one ${what} (use "*" for all)`);

export const ruleWithOperations = z.strictObject({
  apiGroups: nonEmptyStrings("API group"),
  apiVersions: nonEmptyStrings("API version"),
  operations: z.array(operation).min(1, 'at least one operation (use "*" for all)'),
  /** "pods", "pods/status", "*", "*\/*", "pods/*", "*\/scale", as in admissionregistration/v1. */
  resources: nonEmptyStrings("resource"),
  resourceNames: z.array(z.string()).optional(),
  scope: z.enum(["Cluster", "Namespaced", "*"]).default("*"),
});
export type RuleWithOperations = z.infer<typeof ruleWithOperations>;

const selectorRequirement = z
  .strictObject({
    key: z.string().min(1),
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(z.string()).optional(),
  })
  .superRefine((r, ctx) => {
    const hasValues = (r.values?.length ?? 0) > 0;
    if ((r.operator === "In" || r.operator === "NotIn") && !hasValues) {
      ctx.addIssue({ code: "custom", path: ["values"], message: `operator ${r.operator} needs at least one value` });
    }
    if ((r.operator === "Exists" || r.operator === "DoesNotExist") && hasValues) {
      ctx.addIssue({ code: "custom", path: ["values"], message: `operator ${r.operator} takes no values` });
    }
  });

export const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z.array(selectorRequirement).optional(),
});
export type LabelSelector = z.infer<typeof labelSelector>;

export const matchConstraints = z.strictObject({
  resourceRules: z.array(ruleWithOperations).min(1, "at least one resource rule"),
  excludeResourceRules: z.array(ruleWithOperations).optional(),
  namespaceSelector: labelSelector.optional(),
  objectSelector: labelSelector.optional(),
  matchPolicy: z.enum(["Exact", "Equivalent"]).default("Equivalent"),
});
export type MatchConstraints = z.infer<typeof matchConstraints>;

/** CEL's reserved words, which the apiserver refuses as variable names (isCELIdentifier). */
const CEL_RESERVED = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);
const celName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be a CEL identifier: letters, digits and '_'")
  .refine((name) => !CEL_RESERVED.has(name), "is a reserved word in CEL (true, in, namespace, let...); choose another name");

export const matchCondition = z.strictObject({
  name: z.string().min(1).max(63),
  expression: z.string().min(1),
});

export const variable = z.strictObject({ name: celName, expression: z.string().min(1) });

/** The reasons VAP accepts, and the HTTP code each one becomes. */
export const REASON_CODES = { Unauthorized: 401, Forbidden: 403, Invalid: 422, RequestEntityTooLarge: 413 } as const;
export const reason = z.enum(["Unauthorized", "Forbidden", "Invalid", "RequestEntityTooLarge"]);
export type Reason = z.infer<typeof reason>;

export const validation = z.strictObject({
  expression: z.string().min(1),
  message: z.string().min(1).optional(),
  messageExpression: z.string().min(1).optional(),
  reason: reason.default("Forbidden"),
});

export const validationAction = z.enum(["Deny", "Warn", "Audit"]);
export type ValidationAction = z.infer<typeof validationAction>;

/** VAP forbids Deny together with Warn: kubectl would show the message twice. */
export const validationActions = z
  .array(validationAction)
  .min(1)
  .refine((a) => new Set(a).size === a.length, "actions must not repeat")
  .refine((a) => !(a.includes("Deny") && a.includes("Warn")), "Deny and Warn together are not allowed (as in ValidatingAdmissionPolicyBinding)");

export const policySpec = z.strictObject({
  failurePolicy: z.enum(["Fail", "Ignore"]).default("Fail"),
  validationActions: validationActions.default(["Deny"]),
  matchConstraints,
  matchConditions: z.array(matchCondition).max(64).optional(),
  /** Bound to `params` in expressions; the webhook settings may replace them. */
  params: z.record(z.string(), z.unknown()).optional(),
  /**
   * JSON Schema the params must match (draft 2020-12 keywords zod reads: type, properties, required,
   * additionalProperties, items, enum, minItems...). Checked at load, on spec.params and on params the
   * config gives; without it the keys of spec.params, each of its default's type, are the only params.
   */
  paramsSchema: z.record(z.string(), z.unknown()).optional(),
  variables: z.array(variable).optional(),
  validations: z.array(validation).min(1, "at least one validation"),
});

/** A MutatingAdmissionPolicy mutation: the patch an expression builds, merged as server-side apply or applied as a JSON Patch. */
export const mutation = z
  .strictObject({
    patchType: z.enum(["ApplyConfiguration", "JSONPatch"]),
    applyConfiguration: z.strictObject({ expression: z.string().min(1) }).optional(),
    jsonPatch: z.strictObject({ expression: z.string().min(1) }).optional(),
  })
  .superRefine((m, ctx) => {
    const field = m.patchType === "ApplyConfiguration" ? "applyConfiguration" : "jsonPatch";
    const other = m.patchType === "ApplyConfiguration" ? "jsonPatch" : "applyConfiguration";
    if (m[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `patchType ${m.patchType} needs ${field}.expression` });
    if (m[other] !== undefined) ctx.addIssue({ code: "custom", path: [other], message: `not allowed with patchType ${m.patchType}` });
  });
export type Mutation = z.infer<typeof mutation>;

/** MutatingAdmissionPolicy's spec with the params folded in, as policySpec folds VAP's. */
export const mutatingPolicySpec = policySpec.omit({ validations: true, validationActions: true }).extend({
  mutations: z.array(mutation).min(1, "at least one mutation"),
  /** IfNeeded: run again, once, when later mutations changed the object (as the apiserver reinvokes). */
  reinvocationPolicy: z.enum(["Never", "IfNeeded"]).default("Never"),
});
export type MutatingPolicySpec = z.infer<typeof mutatingPolicySpec>;

const dnsSubdomain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be lowercase letters, digits, '-' and '.'");

/** "false" keeps a pod policy off workloads' pod templates (see Policy.autogen). */
export const AUTOGEN_ANNOTATION = "podgate.dev/autogen";

export const policyDocument = z.strictObject({
  apiVersion: z.literal(POLICY_API_VERSION),
  kind: z.literal("Policy"),
  metadata: z.strictObject({
    name: dnsSubdomain,
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z
      .object({ [AUTOGEN_ANNOTATION]: z.enum(["true", "false"]).optional() })
      .catchall(z.string())
      .optional(),
  }),
  spec: policySpec,
});
export type PolicyDocument = z.infer<typeof policyDocument>;

export const mutatingPolicyDocument = policyDocument.extend({ kind: z.literal("MutatingPolicy"), spec: mutatingPolicySpec });
export type MutatingPolicyDocument = z.infer<typeof mutatingPolicyDocument>;
export type PolicySpec = z.infer<typeof policySpec>;

/** Library policies carry their set (pss-baseline, pss-restricted, best-practices) in this label. */
export const SET_LABEL = "podgate.dev/set";
export const DESCRIPTION_ANNOTATION = "podgate.dev/description";
/**
 * A Pod Security Standards policy of the library has one document per PSS
 * version where its upstream check changed, this annotation naming the version
 * it applies from; `podgate.dev/pss-check` names the upstream check it is held to.
 */
export const PSS_VERSION_ANNOTATION = "podgate.dev/pss-version";
export const PSS_CHECK_ANNOTATION = "podgate.dev/pss-check";

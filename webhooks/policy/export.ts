// Policies as Kubernetes objects: native ValidatingAdmissionPolicy + Binding for
// declarative policies, and the ValidatingWebhookConfiguration whose rules and
// selectors let the apiserver skip calls no policy could match.
import { isDeepStrictEqual } from "node:util";
import type { WebhookEntry } from "../../src/config/schema.ts";
import { compileCel } from "./cel.ts";
import { withValidationGuard } from "./export-guard.ts";
import type { MutatingPolicy } from "./mutating.ts";
import type { Policy } from "./policy.ts";
import { listed, resourceMatches } from "./match.ts";
import { SET_LABEL, type LabelSelector, type PolicyDocument, type RuleWithOperations } from "./schema.ts";
import { WORKLOADS } from "./workload.ts";

const ADMISSIONREGISTRATION = "admissionregistration.k8s.io/v1";

export interface Skipped {
  readonly policy: string;
  readonly reason: string;
}

function expressionsOf(document: PolicyDocument): string[] {
  const spec = document.spec;
  return [
    ...(spec.matchConditions ?? []).map((c) => c.expression),
    ...(spec.variables ?? []).map((v) => v.expression),
    ...spec.validations.flatMap((v) => [v.expression, ...(v.messageExpression ? [v.messageExpression] : [])]),
  ];
}

/** Why a policy cannot run in-tree, or undefined when it can. */
export function notExportable(policy: Policy): string | undefined {
  if (!policy.document) return "written in TypeScript";
  // podgate binds params from its config; in-tree they would need a paramKind resource and a paramRef.
  if (expressionsOf(policy.document).some((e) => compileCel(e, "any").usesParams)) return "reads params (podgate supplies them from its config; VAP needs a paramKind resource)";
  return undefined;
}

type VapSpec = Omit<PolicyDocument["spec"], "validationActions" | "params" | "paramsSchema">;

interface Exportable {
  readonly policy: Policy;
  readonly metadata: PolicyDocument["metadata"];
  readonly spec: VapSpec;
}

function vapObjects(name: string, metadata: Record<string, unknown>, spec: VapSpec, validationActions: readonly string[]): Record<string, unknown>[] {
  const labels = (metadata as { labels?: Record<string, string> }).labels;
  return [
    { apiVersion: ADMISSIONREGISTRATION, kind: "ValidatingAdmissionPolicy", metadata: { ...metadata, name }, spec: withValidationGuard(spec) },
    {
      apiVersion: ADMISSIONREGISTRATION,
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { name: `${name}-binding`, ...(labels ? { labels } : {}) },
      spec: { policyName: name, validationActions },
    },
  ];
}

/** `variables.<name>` references renamed; CEL identifiers cannot hold '.', so a word boundary ends each. */
const renamed = (expression: string, names: ReadonlyMap<string, string>) =>
  names.size === 0 ? expression : expression.replace(/\bvariables\.([A-Za-z_][A-Za-z0-9_]*)\b/g, (whole, name: string) => (names.has(name) ? `variables.${names.get(name)}` : whole));

/**
 * One policy from several that act on the same requests alike: their variables (one copy of a
 * variable they define alike, a renamed one where two differ) and their validations, each
 * message prefixed with its policy's name, as the apiserver names only the policy that denied.
 */
export function combinedSpec(members: readonly Exportable[]): VapSpec {
  const variables: { name: string; expression: string }[] = [];
  const validations: VapSpec["validations"] = [];
  for (const [index, { policy, spec }] of members.entries()) {
    const names = new Map<string, string>();
    for (const variable of spec.variables ?? []) {
      const expression = renamed(variable.expression, names);
      const same = variables.find((v) => v.name === variable.name);
      if (same?.expression === expression) continue;
      let name = variable.name;
      for (let n = index; variables.some((v) => v.name === name); n++) name = `${variable.name}_${n}`;
      if (name !== variable.name) names.set(variable.name, name);
      variables.push({ name, expression });
    }
    for (const v of spec.validations) {
      const expression = renamed(v.expression, names);
      validations.push({
        ...v,
        expression,
        // Without either, the apiserver would say "failed expression: <expression>".
        message: `${policy.name}: ${v.message ?? `failed expression: ${expression}`}`,
        ...(v.messageExpression ? { messageExpression: `'${policy.name}: ' + (${renamed(v.messageExpression, names)})` } : {}),
      });
    }
  }
  const { variables: _variables, validations: _validations, ...shared } = members[0]!.spec;
  return { ...shared, ...(variables.length > 0 ? { variables } : {}), validations };
}

/** Policies one ValidatingAdmissionPolicy can hold: the same requests, conditions, failure policy and binding actions. */
const sharingKey = ({ policy, spec }: Exportable) => JSON.stringify([spec.matchConstraints, spec.matchConditions ?? [], spec.failurePolicy, policy.validationActions]);

/** On a combined ValidatingAdmissionPolicy: the podgate policies it holds. */
export const COMBINED_ANNOTATION = "podgate.dev/policies";

/** A combined VAP's name (after its policies' sets), its set label when they share one, and the policies it holds. */
function combinedMetadata(members: readonly Exportable[]) {
  const sets = [...new Set(members.map((m) => m.metadata.labels?.[SET_LABEL]))];
  return {
    name: `podgate-${sets.map((set) => set ?? "policies").join("-")}`,
    metadata: {
      ...(sets.length === 1 && sets[0] ? { labels: { [SET_LABEL]: sets[0] } } : {}),
      annotations: { [COMBINED_ANNOTATION]: members.map((m) => m.policy.name).join(", ") },
    },
  };
}

export interface VapExportOptions {
  /** One ValidatingAdmissionPolicy per policy instead of one per group that can share one. */
  readonly separate?: boolean;
}

/**
 * ValidatingAdmissionPolicy + Binding objects for the exportable policies. By default, policies that act on
 * the same requests alike share one: the apiserver's cost is mostly per policy it evaluates, not per
 * expression (docs/policy.md, `podgate export vap`). A group of one keeps its policy's own name.
 */
export function exportVap(policies: readonly Policy[], options: VapExportOptions = {}): { objects: Record<string, unknown>[]; skipped: Skipped[] } {
  const exportable: Exportable[] = [];
  const skipped: Skipped[] = [];
  for (const policy of policies) {
    const reason = notExportable(policy);
    if (reason || !policy.document) {
      skipped.push({ policy: policy.name, reason: reason ?? "no document" });
      continue;
    }
    const { metadata, spec } = policy.document;
    const { validationActions: _actions, params: _params, paramsSchema: _paramsSchema, ...vapSpec } = spec;
    exportable.push({ policy, metadata, spec: vapSpec });
  }
  const groups = options.separate ? exportable.map((e) => [e]) : [...Map.groupBy(exportable, sharingKey).values()];
  const named = new Map<string, number>();
  const objects = groups.flatMap((members) => {
    const first = members[0]!;
    if (members.length === 1) return vapObjects(first.metadata.name, first.metadata, first.spec, first.policy.validationActions);
    const { name, metadata } = combinedMetadata(members);
    const seen = (named.get(name) ?? 0) + 1;
    named.set(name, seen);
    return vapObjects(seen === 1 ? name : `${name}-${seen}`, metadata, combinedSpec(members), first.policy.validationActions);
  });
  return { objects, skipped };
}

export type ClientTarget = { readonly url: string } | { readonly service: { readonly namespace: string; readonly name: string; readonly port?: number } };

export interface WebhookExportOptions {
  readonly target: ClientTarget;
  readonly caBundle?: string;
  /** Never sent to the webhook: kube-system, and podgate's own namespace, so the cluster cannot lock itself out. */
  readonly excludeNamespaces: readonly string[];
  readonly configurationName?: string;
}

export type WebhookRule = Omit<RuleWithOperations, "resourceNames">;

/** The workload resources, by API group, whose pod templates an autogen policy also judges. */
const WORKLOAD_RESOURCES = Map.groupBy(Object.values(WORKLOADS), (w) => w.group);
const WORKLOAD_RESOURCE_NAMES = Object.values(WORKLOADS).map((w) => w.resource);

/** A pod rule's workload rules: CREATE and UPDATE of the workloads, as an edited template means new pods. */
function workloadRules(rule: WebhookRule): WebhookRule[] {
  const judgesPods = listed(rule.apiGroups, "") && listed(rule.apiVersions, "v1") && rule.operations.some((o) => o === "CREATE" || o === "*") && resourceMatches(rule.resources, "pods", "");
  if (!judgesPods || rule.scope === "Cluster") return [];
  return [...WORKLOAD_RESOURCES].map(([group, workloads]) => ({
    apiGroups: [group],
    apiVersions: ["v1"],
    operations: ["CREATE", "UPDATE"],
    resources: workloads.map((w) => w.resource),
    scope: "Namespaced",
  }));
}

/** Webhook rules have no resourceNames and no excludes: those stay with podgate (a superset is safe). */
export function webhookRules(policies: readonly Policy[]): WebhookRule[] {
  const rules: WebhookRule[] = [];
  const add = (rule: WebhookRule) => {
    if (!rules.some((r) => isDeepStrictEqual(r, rule))) rules.push(rule);
  };
  for (const policy of policies) {
    for (const { resourceNames: _names, ...rule } of policy.match.resourceRules) {
      add(rule);
      if (policy.autogen) workloadRules(rule).forEach(add);
    }
  }
  return rules;
}

/** One selector for all policies when they agree; none (everything) otherwise. */
function shared(selectors: readonly (LabelSelector | undefined)[]): LabelSelector {
  const [first = {}, ...rest] = selectors.map((s) => s ?? {});
  return rest.every((s) => isDeepStrictEqual(s, first)) ? first : {};
}

/**
 * Policies' match conditions ORed: the webhook is called when any policy's conditions all hold. The
 * apiserver tests them on the request's object, so with workload rules a workload always passes:
 * podgate tests each policy's conditions on the template's Pod itself.
 */
function matchConditions(policies: readonly Policy[], rules: readonly WebhookRule[]): { name: string; expression: string }[] {
  const perPolicy = policies.map((p) => p.document?.spec.matchConditions ?? []);
  if (perPolicy.some((c) => c.length === 0)) return [];
  const workloads = WORKLOAD_RESOURCE_NAMES.filter((name) => rules.some((r) => r.resources.includes(name)));
  if (perPolicy.length === 1 && workloads.length === 0) return perPolicy[0]!;
  const conjunction = (conditions: readonly { expression: string }[]) => conditions.map((c) => `(${c.expression})`).join(" && ");
  const alternatives = perPolicy.map((c) => `(${conjunction(c)})`);
  if (workloads.length > 0) alternatives.push(`(request.resource.resource in [${workloads.map((r) => `'${r}'`).join(", ")}])`);
  return [{ name: "any-policy", expression: alternatives.join(" || ") }];
}

function clientConfigFor(options: WebhookExportOptions, path: string) {
  return {
    ...("url" in options.target
      ? { url: `${options.target.url.replace(/\/+$/, "")}${path}` }
      : { service: { namespace: options.target.service.namespace, name: options.target.service.name, path, port: options.target.service.port ?? 443 } }),
    ...(options.caBundle ? { caBundle: options.caBundle } : {}),
  };
}

/** What every webhook entry podgate writes has: its name, v1 reviews, no side effects, and its config entry's failure policy and timeout. */
export function webhookEntryBasics(entry: Pick<WebhookEntry, "failurePolicy" | "timeoutSeconds">, name: string) {
  return { name, admissionReviewVersions: ["v1"], sideEffects: "None", failurePolicy: entry.failurePolicy, timeoutSeconds: entry.timeoutSeconds };
}

const excluding = (options: WebhookExportOptions) => ({ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...options.excludeNamespaces] });

/** Pods, on CREATE only: what the built-in mutating webhooks act on, and what `podgate dev` registers users' for. */
export const POD_CREATE_RULES: readonly Record<string, unknown>[] = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"], scope: "Namespaced" }];
/** The built-in mutating webhook types and the requests they act on. */
const MUTATING_RULES: Readonly<Record<string, readonly Record<string, unknown>[]>> = { sidecar: POD_CREATE_RULES, defaults: POD_CREATE_RULES };

/** The apiserver's ceiling for a webhook's timeoutSeconds. */
const MAX_TIMEOUT_SECONDS = 30;

/**
 * One webhook entry for mutating webhooks that act on the same requests, at /mutate/<a>/<b> in
 * config order: a create costs the apiserver one call, and podgate runs them in turn on one copy.
 * When podgate answers, each webhook's own failurePolicy and deadline still apply; the entry's
 * policy only matters when podgate cannot be reached, and then it fails closed if any of them
 * would, as separate entries for the same requests would have refused the pod anyway. Its
 * timeout covers each one's, up to the apiserver's ceiling.
 */
export function mutatingEntry(group: readonly WebhookEntry[], rules: readonly Record<string, unknown>[], options: WebhookExportOptions, namespaceSelector: LabelSelector = {}): Record<string, unknown> {
  const names = group.map((e) => e.name);
  const failurePolicy = group.some((e) => e.failurePolicy === "Fail") ? "Fail" : "Ignore";
  const timeoutSeconds = Math.min(MAX_TIMEOUT_SECONDS, group.reduce((sum, e) => sum + e.timeoutSeconds, 0));
  return {
    ...webhookEntryBasics({ failurePolicy, timeoutSeconds }, `${names.join(".")}.mutate.podgate.dev`),
    matchPolicy: "Equivalent",
    // podgate already ran them all in turn. IfNeeded would re-call it on most creates anyway: the
    // ServiceAccount plugin, re-run because podgate changed the pod, mounts its token into the sidecar.
    reinvocationPolicy: "Never",
    clientConfig: clientConfigFor(options, `/mutate/${names.join("/")}`),
    rules,
    namespaceSelector: { ...namespaceSelector, matchExpressions: [...(namespaceSelector.matchExpressions ?? []), excluding(options)] },
  };
}

/** What a mutating entry is routed by: the requests its webhook acts on, and the namespaces (when its policies share a selector). */
interface MutatingRoute {
  readonly rules: readonly Record<string, unknown>[];
  readonly namespaceSelector?: LabelSelector;
}

/** The route of a mutating policy webhook: its policies' resource rules, and their namespaceSelector when they share one. */
export function mutatingPolicyRoute(policies: readonly MutatingPolicy[]): MutatingRoute {
  const rules: Record<string, unknown>[] = [];
  for (const policy of policies) {
    for (const { resourceNames: _names, ...rule } of policy.match.resourceRules) if (!rules.some((r) => isDeepStrictEqual(r, rule))) rules.push(rule);
  }
  return { rules, namespaceSelector: shared(policies.map((p) => p.match.namespaceSelector)) };
}

/**
 * The MutatingWebhookConfiguration for the config's mutating webhooks: the built-ins (sidecar, defaults)
 * and those `routeOf` routes (mutating policy webhooks, by their policies), one entry per route, entries
 * on the same route sharing one call. An entry's own `rules` win. A webhook from a module declares no
 * resources podgate could route: without `rules` it is listed in `skipped` for its entry to be written by hand.
 */
export function mutatingWebhookConfiguration(
  entries: readonly WebhookEntry[],
  options: WebhookExportOptions,
  routeOf: (entry: WebhookEntry) => MutatingRoute | undefined = () => undefined,
): { configuration?: Record<string, unknown>; skipped: string[] } {
  const enabled = entries.filter((e) => e.enabled);
  const builtIn = (e: WebhookEntry) => (e.type !== undefined && MUTATING_RULES[e.type] !== undefined ? { rules: MUTATING_RULES[e.type]! } : undefined);
  const routes = new Map(enabled.map((e) => [e, e.rules ? { rules: e.rules } : (builtIn(e) ?? routeOf(e))] as const));
  const known = enabled.filter((e) => routes.get(e) !== undefined);
  const skipped = enabled.filter((e) => !known.includes(e)).map((e) => e.name);
  if (known.length === 0) return { skipped };
  const groups = new Map<string, { route: MutatingRoute; entries: WebhookEntry[] }>();
  for (const entry of known) {
    const route = routes.get(entry)!;
    const key = JSON.stringify(route);
    groups.set(key, { route, entries: [...(groups.get(key)?.entries ?? []), entry] });
  }
  return {
    skipped,
    configuration: {
      apiVersion: ADMISSIONREGISTRATION,
      kind: "MutatingWebhookConfiguration",
      metadata: { name: options.configurationName ?? "podgate" },
      webhooks: [...groups.values()].map(({ route, entries: group }) => mutatingEntry(group, route.rules, options, route.namespaceSelector)),
    },
  };
}

export function webhookConfiguration(entries: readonly { entry: WebhookEntry; policies: readonly Policy[] }[], options: WebhookExportOptions): Record<string, unknown> {
  const clientConfig = (path: string) => clientConfigFor(options, path);
  return {
    apiVersion: ADMISSIONREGISTRATION,
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: options.configurationName ?? "podgate-policies" },
    webhooks: entries.map(({ entry, policies }) => {
      const namespaceSelector = shared(policies.map((p) => p.match.namespaceSelector));
      const objectSelector = shared(policies.map((p) => p.match.objectSelector));
      const rules = entry.rules ?? webhookRules(policies);
      const conditions = matchConditions(policies, rules);
      return {
        ...webhookEntryBasics(entry, `${entry.name}.policy.podgate.dev`),
        matchPolicy: "Equivalent",
        clientConfig: clientConfig(`/validate/${entry.name}`),
        rules,
        namespaceSelector: {
          ...namespaceSelector,
          matchExpressions: [
            ...(namespaceSelector.matchExpressions ?? []),
            excluding(options),
          ],
        },
        ...(Object.keys(objectSelector).length > 0 ? { objectSelector } : {}),
        ...(conditions.length > 0 ? { matchConditions: conditions } : {}),
      };
    }),
  };
}

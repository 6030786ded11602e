// The defaults webhook as a native MutatingAdmissionPolicy (Kubernetes 1.36):
// every feature it fills (resources with per-namespace defaults, image pull
// policy, the restricted securityContext baseline, labels, annotations), with
// the same rules (never change what is set, never put a request above its
// limit) and the same per-pod switches (defaults.podgate.io/<feature>), as one
// JSON Patch. Not expressible natively: the warnings and audit annotations the
// webhook adds (a policy cannot write either).
import { POD_NAMESPACE_VARIABLE, podMutationObjects } from "../policy/export-map.ts";
import { FEATURES, type DefaultsSettings, type Feature } from "./settings.ts";
import { DOMAIN } from "./index.ts";

const q = (s: string) => JSON.stringify(s);
const pointer = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");
const add = (path: string, value: string) => `JSONPatch{op: "add", path: ${path}, value: ${value}}`;
const map = (entries: Readonly<Record<string, string>>) => `{${Object.entries(entries).map(([k, v]) => `${q(k)}: ${q(v)}`).join(", ")}}`;
/** A CEL list of JSONPatch built from per-item conditional lists. */
const concat = (parts: readonly string[]) => (parts.length === 0 ? "[]" : parts.map((p) => `(${p})`).join(" + "));

/** The default of `field` (requests or limits) for resource `name` in the pod's namespace, per-namespace ones first; "" for none. */
function defaultExpression(settings: DefaultsSettings["resources"], field: "requests" | "limits", name: string): string {
  const global = settings[field][name];
  const namespaces = Object.entries(settings.namespaces).filter(([, own]) => own[field][name] !== undefined);
  return namespaces.reduceRight((rest, [ns, own]) => `(variables.podNamespace == ${q(ns)} ? ${q(own[field][name]!)} : ${rest})`, global === undefined ? `""` : q(global));
}

/** The resource names defaulted in `field`, anywhere in the settings. */
const defaultedNames = (settings: DefaultsSettings["resources"], field: "requests" | "limits") => [...new Set([...Object.keys(settings[field]), ...Object.values(settings.namespaces).flatMap((n) => Object.keys(n[field]))])];

/** A variable per defaulted resource whose default depends on the namespace, so containers read it once worked out. */
function defaultVariables(settings: DefaultsSettings["resources"]): { name: string; expression: string }[] {
  return (["limits", "requests"] as const).flatMap((field) =>
    defaultedNames(settings, field).flatMap((name, i) => {
      const expression = defaultExpression(settings, field, name);
      return expression.startsWith("(") ? [{ name: `${field}${i}`, expression }] : [];
    }),
  );
}

/** The default's CEL: a string literal, or the variable defaultVariables made for it. */
function defaultFor(settings: DefaultsSettings["resources"], field: "requests" | "limits", name: string): string {
  const expression = defaultExpression(settings, field, name);
  return expression.startsWith("(") ? `variables.${field}${defaultedNames(settings, field).indexOf(name)}` : expression;
}

/**
 * Resource defaults for container `c` at `path` (defaultResources in resources.ts): limits first, then
 * requests capped at the limit. The container's limits and requests maps are bound once, as `m[0]` and
 * `m[1]`, through a one-item list's map() (CEL's bind is not in kube-apiserver's environment).
 */
function resourcePatches(settings: DefaultsSettings["resources"], c: string, path: string): string {
  const limitNames = defaultedNames(settings, "limits");
  const requestNames = defaultedNames(settings, "requests");
  const [L, R] = ["m[0]", "m[1]"];
  const configured = (value: string) => (/^"[^"]+"$/.test(value) ? "true" : `${value} != ""`);
  // A default limit is set when none is, unless the request is above it (or unreadable).
  const setsLimit = (name: string) => {
    const limit = defaultFor(settings, "limits", name);
    return `(${configured(limit)} && !(${q(name)} in ${L}) && (!(${q(name)} in ${R}) || isQuantity(${R}[${q(name)}]) && quantity(${R}[${q(name)}]).compareTo(quantity(${limit})) <= 0))`;
  };
  // The limit a request is compared with: the one set, or the default just set; "" for none.
  const limitAfter = (name: string) => `(${q(name)} in ${L} ? ${L}[${q(name)}] : ${limitNames.includes(name) ? `${setsLimit(name)} ? ${defaultFor(settings, "limits", name)} : ""` : `""`})`;
  const setsRequest = (name: string) => `(${configured(defaultFor(settings, "requests", name))} && !(${q(name)} in ${R}) && (${limitAfter(name)} == "" || isQuantity(${limitAfter(name)})))`;
  const request = (name: string) => {
    const wanted = defaultFor(settings, "requests", name);
    return `(${limitAfter(name)} != "" && quantity(${wanted}).compareTo(quantity(${limitAfter(name)})) > 0 ? ${limitAfter(name)} : ${wanted})`;
  };
  const limitPatches = concat(limitNames.map((name) => `${setsLimit(name)} ? [${add(`${path} + "/resources/limits/${pointer(name)}"`, defaultFor(settings, "limits", name))}] : []`));
  const requestPatches = concat(requestNames.map((name) => `${setsRequest(name)} ? [${add(`${path} + "/resources/requests/${pointer(name)}"`, request(name))}] : []`));
  // The maps to add to are made first where missing: x[0] the limit patches, x[1] the request ones.
  const body = `[[${limitPatches}, ${requestPatches}]].map(x, ${concat([
    `!has(${c}.resources) && size(x[0]) + size(x[1]) > 0 ? [${add(`${path} + "/resources"`, "{}")}] : []`,
    `(!has(${c}.resources) || !has(${c}.resources.limits)) && size(x[0]) > 0 ? [${add(`${path} + "/resources/limits"`, "{}")}] : []`,
    "x[0]",
    `(!has(${c}.resources) || !has(${c}.resources.requests)) && size(x[1]) > 0 ? [${add(`${path} + "/resources/requests"`, "{}")}] : []`,
    "x[1]",
  ])})[0]`;
  return `[[${c}.?resources.?limits.orValue({}), ${c}.?resources.?requests.orValue({})]].map(m, ${body})[0]`;
}

/** The restricted baseline for container `c` (security.ts): no privilege escalation unless it escalates, drop ALL. */
function containerSecurityPatches(c: string, path: string): string {
  const sc = `${c}.securityContext`;
  const escalates = `(has(${c}.securityContext) && (${sc}.?privileged.orValue(false) || ${sc}.?capabilities.?add.orValue([]).exists(a, a in ["SYS_ADMIN", "CAP_SYS_ADMIN"])))`;
  return concat([
    `has(${sc}) ? [] : [${add(`${path} + "/securityContext"`, "{}")}]`,
    `!has(${sc}) || !has(${sc}.allowPrivilegeEscalation) && !${escalates} ? [${add(`${path} + "/securityContext/allowPrivilegeEscalation"`, "false")}] : []`,
    `has(${sc}) && has(${sc}.capabilities) ? (has(${sc}.capabilities.drop) ? [] : [${add(`${path} + "/securityContext/capabilities/drop"`, `["ALL"]`)}]) : [${add(`${path} + "/securityContext/capabilities"`, `{"drop": ["ALL"]}`)}]`,
  ]);
}

const LISTS = { containers: "object.spec.containers", initContainers: "object.spec.?initContainers.orValue([])" } as const;

/** Patches of one feature for every container of a list, or of both lists. */
function eachContainer(perContainer: (c: string, path: string) => string, lists: readonly (keyof typeof LISTS)[] = ["containers", "initContainers"]): string {
  return concat(lists.map((list) => `${LISTS[list]}.transformList(i, c, ${perContainer("c", `"/spec/${list}/" + string(i)`)}).flatten()`));
}

/** The pod-level baseline: runAsNonRoot unless some user is root, RuntimeDefault seccomp. */
function podSecurityPatches(): string {
  const sc = "object.spec.securityContext";
  const root = `(object.spec.?securityContext.?runAsUser.orValue(-1) == 0 || object.spec.containers.exists(c, c.?securityContext.?runAsUser.orValue(-1) == 0) || object.spec.?initContainers.orValue([]).exists(c, c.?securityContext.?runAsUser.orValue(-1) == 0))`;
  return concat([
    `has(${sc}) ? [] : [${add(`"/spec/securityContext"`, "{}")}]`,
    `(!has(${sc}) || !has(${sc}.runAsNonRoot)) && !${root} ? [${add(`"/spec/securityContext/runAsNonRoot"`, "true")}] : []`,
    `!has(${sc}) || !has(${sc}.seccompProfile) ? [${add(`"/spec/securityContext/seccompProfile"`, `{"type": "RuntimeDefault"}`)}] : []`,
  ]);
}

/** Labels or annotations the pod lacks, added key by key (fillMap: what the pod sets wins). */
function mapPatches(field: "labels" | "annotations", values: Readonly<Record<string, string>>): string {
  if (Object.keys(values).length === 0) return "[]";
  return `has(object.metadata.${field}) ? ${concat(Object.entries(values).map(([k, v]) => `${q(k)} in object.metadata.${field} ? [] : [${add(q(`/metadata/${field}/${pointer(k)}`), q(v))}]`))} : [${add(q(`/metadata/${field}`), map(values))}]`;
}

/** The MutatingAdmissionPolicy + Binding that do what a defaults webhook entry does. */
export function defaultsMap(entryName: string, settings: DefaultsSettings): { objects: Record<string, unknown>[]; notes: string[] } {
  // A feature is on unless the pod's defaults.podgate.io/<feature> annotation says otherwise (anything but "true" switches it off).
  const on = (feature: Feature) => `variables.${feature}`;
  const switches = FEATURES.map((feature) => ({ name: feature, expression: `object.metadata.?annotations[${q(`${DOMAIN}/${feature}`)}].orValue("true") == "true"` }));
  // One mutation per feature, in the webhook's order: each sees what the last one left, and has its own cost limit.
  const resources = (list: keyof typeof LISTS) => `${on("resources")} ? ${eachContainer((c, path) => resourcePatches(settings.resources, c, path), [list])} : []`;
  // Resources: one mutation per list, each inside the per-expression cost limit.
  const features: Record<Exclude<Feature, "resources">, string> & { resources: string[] } = {
    resources: [resources("containers"), resources("initContainers")],
    imagePullPolicy: `${on("imagePullPolicy")} ? ${eachContainer((c, path) => `has(${c}.imagePullPolicy) ? [] : [${add(`${path} + "/imagePullPolicy"`, q(settings.imagePullPolicy.policy))}]`)} : []`,
    securityContext: `${on("securityContext")} && variables.linux ? ${concat([eachContainer(containerSecurityPatches), podSecurityPatches()])} : []`,
    labels: `${on("labels")} ? ${mapPatches("labels", settings.labels.values)} : []`,
    annotations: `${on("annotations")} ? ${mapPatches("annotations", settings.annotations.values)} : []`,
  };
  const patches = FEATURES.filter((f) => settings[f].enabled && (f !== "labels" || Object.keys(settings.labels.values).length > 0) && (f !== "annotations" || Object.keys(settings.annotations.values).length > 0)).flatMap((f) => features[f]);
  return {
    objects: podMutationObjects({
      name: `${entryName}-defaults`,
      labels: {},
      excludeNamespaces: settings.excludeNamespaces,
      variables: [
        POD_NAMESPACE_VARIABLE,
        { name: "linux", expression: `object.spec.?os.?name.orValue("") != "windows"` },
        ...switches,
        ...defaultVariables(settings.resources),
      ],
      patches,
    }),
    notes: [`defaults ${entryName}: the webhook's warnings and audit annotations (what was left unset and why) have no native equivalent`],
  };
}

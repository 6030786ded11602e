// Whether a request is in a policy's scope: resource rules, exclusions and label
// selectors, with admissionregistration/v1 semantics. Pure functions.
import type { AdmissionRequest, KubeObject } from "../../src/admission/review.ts";
import type { LabelSelector, MatchConstraints, RuleWithOperations } from "./schema.ts";

export type Labels = Readonly<Record<string, string>>;

export const listed = (values: readonly string[], value: string) => values.includes("*") || values.includes(value);

/** "pods", "pods/status", "*" (every resource, no subresources), "*\/*", "pods/*", "*\/status". */
export function resourceMatches(patterns: readonly string[], resource: string, subResource: string): boolean {
  return patterns.some((pattern) => {
    const [res = "", sub = ""] = pattern.split("/", 2);
    const resOk = res === "*" || res === resource;
    if (!pattern.includes("/")) return resOk && subResource === "";
    return resOk && (sub === "*" || sub === subResource);
  });
}

export function ruleMatches(rule: RuleWithOperations, request: AdmissionRequest): boolean {
  const { group, version, resource } = request.resource;
  if (!listed(rule.apiGroups, group) || !listed(rule.apiVersions, version)) return false;
  if (!rule.operations.includes("*") && !rule.operations.includes(request.operation)) return false;
  if (!resourceMatches(rule.resources, resource, request.subResource ?? "")) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0 && !rule.resourceNames.includes(request.name ?? "")) return false;
  const namespaced = (request.namespace ?? "") !== "";
  if (rule.scope === "Cluster" && namespaced) return false;
  if (rule.scope === "Namespaced" && !namespaced) return false;
  return true;
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = Object.hasOwn(labels, key);
    switch (operator) {
      case "In":
        return has && values.includes(labels[key]!);
      case "NotIn":
        return !has || !values.includes(labels[key]!);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
    }
  });
}

export function labelsOf(object: KubeObject | null | undefined): Labels {
  const labels = (object?.["metadata"] as { labels?: unknown } | undefined)?.labels;
  if (typeof labels !== "object" || labels === null) return {};
  return Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/**
 * `namespaceLabels` undefined means the namespace is not known here: the
 * apiserver applied the selector already (it is compiled into the webhook
 * configuration), so it is taken as matched.
 */
export function matchesConstraints(match: MatchConstraints, request: AdmissionRequest, namespaceLabels: Labels | undefined): boolean {
  if (!match.resourceRules.some((rule) => ruleMatches(rule, request))) return false;
  if ((match.excludeResourceRules ?? []).some((rule) => ruleMatches(rule, request))) return false;
  // As the apiserver does: the object selector matches if the new or the old object matches.
  const objects = [request.object, request.oldObject].filter((o): o is KubeObject => o !== null && o !== undefined);
  if (objects.length === 0) objects.push({});
  if (match.objectSelector && !objects.some((o) => selectorMatches(match.objectSelector, labelsOf(o)))) return false;
  const isNamespace = request.resource.group === "" && request.resource.resource === "namespaces";
  // A cluster-scoped object has no namespace to select on; a Namespace is selected by its own labels.
  if (isNamespace) return selectorMatches(match.namespaceSelector, labelsOf(request.object ?? request.oldObject));
  if ((request.namespace ?? "") === "" || namespaceLabels === undefined) return true;
  return selectorMatches(match.namespaceSelector, namespaceLabels);
}

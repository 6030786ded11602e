// Whether a webhook's rules already send it what its policies match. A reload
// that adds a policy for a new resource (ConfigMaps, say) is useless until the
// apiserver sends those requests, so the leader adds the rules a webhook lacks
// — and only adds: rules an administrator widened by hand stay as they are.
// Pure.

/** An admissionregistration.k8s.io/v1 RuleWithOperations. */
export interface WebhookRule {
  readonly apiGroups: readonly string[];
  readonly apiVersions: readonly string[];
  readonly operations: readonly string[];
  readonly resources: readonly string[];
  readonly scope?: string | undefined;
}

const includes = (list: readonly string[], value: string) => list.includes("*") || list.includes(value);

// "pods" is covered by "pods" or "*"; "pods/status" by itself, "pods/*" or "*/*"; "*" only by "*".
function resourceCovered(patterns: readonly string[], resource: string): boolean {
  if (patterns.includes(resource)) return true;
  const [res = "", sub] = resource.split("/", 2);
  if (sub === undefined) return res !== "*" && patterns.includes("*");
  return patterns.some((p) => {
    const [pr = "", ps = ""] = p.split("/", 2);
    return p.includes("/") && (pr === "*" || pr === res) && (ps === "*" || ps === sub);
  });
}

const scopeCovered = (by: string | undefined, scope: string | undefined) => (by ?? "*") === "*" || by === (scope ?? "*");

/** Whether every request `rule` selects is selected by one of `rules` (each field of it covered by one rule). */
export function covered(rules: readonly WebhookRule[], rule: WebhookRule): boolean {
  return rule.apiGroups.every((group) =>
    rule.apiVersions.every((version) =>
      rule.resources.every((resource) =>
        rule.operations.every((operation) =>
          rules.some((by) => includes(by.apiGroups, group) && includes(by.apiVersions, version) && includes(by.operations, operation) && resourceCovered(by.resources, resource) && scopeCovered(by.scope, rule.scope)),
        ),
      ),
    ),
  );
}

/** The wanted rules the current ones do not cover, to be added. */
export const missingRules = (current: readonly WebhookRule[], wanted: readonly WebhookRule[]): WebhookRule[] => wanted.filter((rule) => !covered(current, rule));

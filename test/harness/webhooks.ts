// podgate's MutatingWebhookConfiguration for a podgate outside the cluster:
// the base manifest's webhooks (rules, failure policies, timeouts,
// reinvocation, exclusions) with clientConfig.url + caBundle instead of the
// in-cluster Service (the envtest pattern), and the sidecar limited to
// namespaces labelled for injection: the base's one call for the sidecar and
// the defaults there, and one call for the defaults alone everywhere else, so
// every create still costs one mutating call.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { z } from "zod";

export const INJECT_LABEL = { key: "podgate.io/inject", value: "enabled" } as const;
/** Namespaces with this label are never sent to the harness's podgate: what a cluster with podgate stopped (or absent) does there. */
export const WITHOUT_PODGATE_LABEL = "e2e.podgate.dev/without-podgate";
export const WITHOUT_PODGATE = { key: WITHOUT_PODGATE_LABEL, operator: "DoesNotExist" } as const;

const selector = z.looseObject({
  matchExpressions: z.array(z.looseObject({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() })).optional(),
});
const webhook = z.looseObject({
  name: z.string(),
  clientConfig: z.looseObject({ service: z.looseObject({ path: z.string() }) }),
  namespaceSelector: selector.optional(),
});
const configuration = z.looseObject({
  kind: z.literal("MutatingWebhookConfiguration"),
  metadata: z.looseObject({ name: z.string() }),
  webhooks: z.array(webhook),
});
export type MutatingConfiguration = z.infer<typeof configuration>;

export function baseMutatingConfiguration(repo: string): MutatingConfiguration {
  const path = join(repo, "manifests/base/webhooks.yaml");
  const docs = parseAllDocuments(readFileSync(path, "utf8")).map((d) => d.toJS() as unknown);
  const found = docs.find((d) => (d as { kind?: unknown } | null)?.kind === "MutatingWebhookConfiguration");
  if (found === undefined) throw new Error(`${path}: no document of kind MutatingWebhookConfiguration`);
  return configuration.parse(found);
}

type Webhook = MutatingConfiguration["webhooks"][number];
const SIDECAR = "sidecar";

/** The webhook at `names` (a path /mutate/<name>/<name>...) by URL, its namespaces narrowed by `expression` if given. */
function atUrl(w: Webhook, names: readonly string[], options: { baseUrl: string; caBundle: string }, expression?: Record<string, unknown>): Record<string, unknown> {
  const { service: _service, ...rest } = w.clientConfig;
  return {
    ...w,
    name: `${names.join(".")}.mutate.podgate.io`,
    clientConfig: { ...rest, url: `${options.baseUrl}/mutate/${names.join("/")}`, caBundle: options.caBundle },
    namespaceSelector: { ...w.namespaceSelector, matchExpressions: [...(w.namespaceSelector?.matchExpressions ?? []), ...(expression ? [expression] : []), WITHOUT_PODGATE] },
  };
}

/** The base configuration pointed at `baseUrl` (e.g. https://127.0.0.1:8443), named `name`. */
export function urlMutatingConfiguration(base: MutatingConfiguration, options: { name: string; baseUrl: string; caBundle: string }): Record<string, unknown> {
  return {
    ...base,
    metadata: { name: options.name, labels: { "app.kubernetes.io/name": "podgate", "app.kubernetes.io/part-of": "podgate-e2e" } },
    webhooks: base.webhooks.flatMap((w) => {
      const names = w.clientConfig.service.path.split("/").slice(2);
      if (!names.includes(SIDECAR)) return [atUrl(w, names, options)];
      const others = names.filter((n) => n !== SIDECAR);
      return [
        atUrl(w, names, options, { key: INJECT_LABEL.key, operator: "In", values: [INJECT_LABEL.value] }),
        ...(others.length > 0 ? [atUrl(w, others, options, { key: INJECT_LABEL.key, operator: "NotIn", values: [INJECT_LABEL.value] })] : []),
      ];
    }),
  };
}

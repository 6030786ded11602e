// Resource fit that knows where a pod's requests come from: containers,
// native sidecars (what podgate's injection adds), init peaks and pod
// overhead. The reason names the injected share, so `kubectl describe pod`
// tells the user that the sidecar tipped the node over.
import { z } from "zod";
import { formatQuantity, podRequestsBreakdown, type Resources } from "../../src/resources.ts";
import { requestedOn, type NodeInfo } from "../nodeinfo.ts";
import { definePlugin, type CycleState, type PodInfo, type Rejection } from "./plugin.ts";

export const resourceFitSettings = z.strictObject({
  /** Resources never checked (e.g. ones another extender manages). */
  ignoredResources: z.array(z.string().min(1)).default([]),
  /** Pod annotation listing, comma-separated, the containers an admission webhook injected. */
  injectedAnnotation: z.string().min(1).default("podgate.io/injected-containers"),
});
export type ResourceFitSettings = z.infer<typeof resourceFitSettings>;

interface Prepared {
  readonly checks: readonly { resource: string; need: number }[];
  readonly injected: Resources;
  readonly injectedNames: string;
  readonly overhead: Resources;
}

/** Integer milli-units, so 0.1 + 0.2 fits in 0.3. */
const milli = (n: number) => Math.round(n * 1000);

function injectedRequests(pod: PodInfo, names: readonly string[]): Resources {
  const spec = pod.pod.spec;
  const pick = <T extends { name?: string | undefined }>(list: readonly T[] | null | undefined) => (list ?? []).filter((c) => c.name !== undefined && names.includes(c.name));
  // The injected containers' own contribution: computed like a pod made of only them.
  return podRequestsBreakdown({ containers: pick(spec.containers), initContainers: pick(spec.initContainers) }).total;
}

function prepare(pod: PodInfo, settings: ResourceFitSettings): Prepared {
  const checks = Object.entries(pod.requests.total)
    .filter(([resource, need]) => need > 0 && !settings.ignoredResources.includes(resource))
    .map(([resource, need]) => ({ resource, need }));
  if (!settings.ignoredResources.includes("pods")) checks.push({ resource: "pods", need: 1 });
  const names = (pod.pod.metadata.annotations?.[settings.injectedAnnotation] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return { checks, injected: names.length > 0 ? injectedRequests(pod, names) : {}, injectedNames: names.join(","), overhead: pod.requests.overhead };
}

function explain(resource: string, need: number, free: number, allocatable: number, prepared: Prepared): string {
  const parts: string[] = [];
  const injected = prepared.injected[resource] ?? 0;
  if (injected > 0) parts.push(`${formatQuantity(resource, injected)} by injected ${prepared.injectedNames}`);
  const overhead = prepared.overhead[resource] ?? 0;
  if (overhead > 0) parts.push(`${formatQuantity(resource, overhead)} pod overhead`);
  const origin = parts.length > 0 ? ` (${parts.join(", ")})` : "";
  return `Insufficient ${resource}: pod requests ${formatQuantity(resource, need)}${origin}, node has ${formatQuantity(resource, Math.max(free, 0))} free of ${formatQuantity(resource, allocatable)}`;
}

export function checkFit(node: NodeInfo, prepared: Prepared): Rejection | undefined {
  for (const { resource, need } of prepared.checks) {
    const allocatable = node.allocatable[resource];
    if (allocatable === undefined) {
      return { reason: `Insufficient ${resource}: node does not offer ${resource}`, unresolvable: true };
    }
    const used = requestedOn(node, resource);
    if (milli(used + need) > milli(allocatable)) {
      // Even an empty node cannot take it: evicting pods would not help.
      return { reason: explain(resource, need, allocatable - used, allocatable, prepared), unresolvable: milli(need) > milli(allocatable) };
    }
  }
  return undefined;
}

const STATE_KEY = "resource-fit";

export const resourceFit = definePlugin({
  name: "resource-fit",
  description: "node has room for the pod's effective requests: containers, native sidecars (injected ones named in the reason), init peak, overhead",
  settings: resourceFitSettings,
  create: (settings: ResourceFitSettings) => ({
    filter(pod: PodInfo, node: NodeInfo, state: CycleState) {
      let prepared = state.get(STATE_KEY) as Prepared | undefined;
      if (!prepared) state.set(STATE_KEY, (prepared = prepare(pod, settings)));
      return checkFit(node, prepared);
    },
  }),
});


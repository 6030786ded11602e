// Resource fit that knows where a pod's requests come from: containers,
// native sidecars (what podgate's injection adds), init peaks and pod
// overhead. The reason names the injected share, so `kubectl describe pod`
// tells the user that the sidecar tipped the node over.
import { z } from "zod";
import { podRequests } from "../../src/resources.ts";
import { requestedOn, type NodeInfo, type Resources } from "../nodeinfo.ts";
import { definePlugin, type CycleState, type PodInfo, type Rejection } from "./plugin.ts";

export const resourceFitSettings = z.strictObject({
  /** Resources never checked (e.g. ones another extender manages). */
  ignoredResources: z.array(z.string().min(1)).default([]),
  /**
   * Pod annotation naming the injected containers: podgate's sidecar status
   * (JSON with containers and initContainers), or a comma-separated list of
   * names written by another injector.
   */
  injectedAnnotation: z.string().min(1).default("sidecar.podgate.io/status"),
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
  return podRequests({ containers: pick(spec.containers), initContainers: pick(spec.initContainers) });
}

/** An amount for a reason: cpu in millicores, bytes in Mi/Gi, the rest as is. */
export function formatQuantity(resource: string, amount: number): string {
  if (resource === "cpu") return `${Math.round(amount * 1000)}m`;
  if (resource === "memory" || resource === "ephemeral-storage" || resource.startsWith("hugepages-")) {
    return amount >= 2 ** 30 ? `${+(amount / 2 ** 30).toFixed(2)}Gi` : `${+(amount / 2 ** 20).toFixed(1)}Mi`;
  }
  return String(+amount.toFixed(3));
}

/** The fields of sidecar.podgate.io/status this plugin reads (the sidecar webhook owns the format). */
const sidecarStatus = z.looseObject({ containers: z.array(z.string()).default([]), initContainers: z.array(z.string()).default([]) });

export function injectedNames(annotation: string): string[] {
  if (annotation.trimStart().startsWith("{")) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(annotation);
    } catch {
      return [];
    }
    const status = sidecarStatus.safeParse(decoded);
    return status.success ? [...status.data.initContainers, ...status.data.containers] : [];
  }
  return annotation.split(",").map((s) => s.trim()).filter(Boolean);
}

function prepare(pod: PodInfo, settings: ResourceFitSettings): Prepared {
  const checks = Object.entries(pod.requests.total)
    .filter(([resource, need]) => need > 0 && !settings.ignoredResources.includes(resource))
    .map(([resource, need]) => ({ resource, need }));
  if (!settings.ignoredResources.includes("pods")) checks.push({ resource: "pods", need: 1 });
  const names = injectedNames(pod.pod.metadata.annotations?.[settings.injectedAnnotation] ?? "");
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


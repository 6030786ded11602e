// Zone balancing: prefers zones holding the fewest pods of the same
// controller (ReplicaSet, StatefulSet...), counted from the pod cache over
// the candidate nodes. Pods without a controller get no preference.
import { z } from "zod";
import { ZONE_LABEL, type NodeInfo } from "../nodeinfo.ts";
import { definePlugin, normalizeToMax, type CycleState, type PodInfo } from "./plugin.ts";

export const zoneSpreadSettings = z.strictObject({
  /** The node label naming the zone; nodes without it count as a zone of their own. */
  topologyKey: z.string().min(1).default(ZONE_LABEL),
});
export type ZoneSpreadSettings = z.infer<typeof zoneSpreadSettings>;

const STATE_KEY = "zone-spread";
const domainOf = (node: NodeInfo, key: string) => node.labels[key] ?? `node:${node.name}`;

/** Pods of the pod's controller per zone, over the candidate nodes; zones without any are left out (they count 0). */
export function zoneCounts(pod: PodInfo, nodes: readonly NodeInfo[], settings: ZoneSpreadSettings): Map<string, number> {
  const counts = new Map<string, number>();
  if (!pod.owner) return counts;
  for (const node of nodes) {
    // Most nodes hold none of a controller's pods: their zone lookup is skipped.
    const here = node.usage.owners.get(pod.owner);
    if (!here) continue;
    const domain = domainOf(node, settings.topologyKey);
    counts.set(domain, (counts.get(domain) ?? 0) + here);
  }
  return counts;
}

export const zoneSpread = definePlugin({
  name: "zone-spread",
  description: "prefers zones with the fewest pods of the same controller",
  settings: zoneSpreadSettings,
  create: (settings: ZoneSpreadSettings) => ({
    preScore(pod: PodInfo, nodes: readonly NodeInfo[], state: CycleState) {
      state.set(STATE_KEY, zoneCounts(pod, nodes, settings));
    },
    score(_pod: PodInfo, node: NodeInfo, state: CycleState) {
      const counts = state.get(STATE_KEY) as Map<string, number>;
      return counts.size === 0 ? 0 : (counts.get(domainOf(node, settings.topologyKey)) ?? 0);
    },
    // Raw scores are pod counts: fewer is better.
    normalize: (scores: number[]) => normalizeToMax(scores, true),
  }),
});

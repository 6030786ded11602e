// Least-allocated and balanced-allocation scores (NodeResourcesFit's
// LeastAllocated strategy and NodeResourcesBalancedAllocation), from the
// cache's view of what is already requested on each node.
import { z } from "zod";
import { requestedOn, type NodeInfo } from "../nodeinfo.ts";
import { definePlugin, MAX_NODE_SCORE, type CycleState, type PodInfo } from "./plugin.ts";

const weightedResources = z
  .array(z.strictObject({ name: z.string().min(1), weight: z.number().int().min(1).max(100).default(1) }))
  .min(1)
  .default([{ name: "cpu", weight: 1 }, { name: "memory", weight: 1 }]);

export const allocationSettings = z.strictObject({ resources: weightedResources });
export type AllocationSettings = z.infer<typeof allocationSettings>;

/** What the pod needs of one scored resource (a pod slot for "pods"), worked out once per call. */
interface Demand {
  readonly name: string;
  readonly weight: number;
  readonly need: number;
}

function demandsOf(pod: PodInfo, settings: AllocationSettings): Demand[] {
  return settings.resources.map(({ name, weight }) => ({ name, weight, need: name === "pods" ? 1 : (pod.requests.total[name] ?? 0) }));
}

/** Fraction of allocatable requested once the pod lands; undefined where the node offers none. */
function fractionAfter(node: NodeInfo, demand: Demand): number | undefined {
  const allocatable = node.allocatable[demand.name];
  if (!allocatable) return undefined;
  return Math.min((requestedOn(node, demand.name) + demand.need) / allocatable, 1);
}

export function leastAllocatedScore(pod: PodInfo, node: NodeInfo, settings: AllocationSettings, demands: readonly Demand[] = demandsOf(pod, settings)): number {
  let total = 0;
  let weights = 0;
  for (const demand of demands) {
    const fraction = fractionAfter(node, demand);
    if (fraction === undefined) continue;
    total += (1 - fraction) * MAX_NODE_SCORE * demand.weight;
    weights += demand.weight;
  }
  return weights === 0 ? 0 : total / weights;
}

/**
 * 100 when every resource is equally used after placement, lower the more they diverge (standard
 * deviation). `fractions` is scratch space of the demands' length, reused across the call's nodes.
 */
export function balancedAllocationScore(
  pod: PodInfo,
  node: NodeInfo,
  settings: AllocationSettings,
  demands: readonly Demand[] = demandsOf(pod, settings),
  fractions: Float64Array = new Float64Array(demands.length),
): number {
  let count = 0;
  let sum = 0;
  for (const demand of demands) {
    const fraction = fractionAfter(node, demand);
    if (fraction === undefined) continue;
    fractions[count++] = fraction;
    sum += fraction;
  }
  if (count < 2) return MAX_NODE_SCORE;
  const mean = sum / count;
  let squares = 0;
  for (let i = 0; i < count; i++) squares += (fractions[i]! - mean) ** 2;
  return (1 - Math.sqrt(squares / count)) * MAX_NODE_SCORE;
}

/** The pod's demands and scratch space for one call, made in preScore. */
interface CallState {
  readonly demands: readonly Demand[];
  readonly fractions: Float64Array;
}

/** A scorer over the pod's demands, computed once per call in preScore. */
function demandScorer(
  key: string,
  settings: AllocationSettings,
  score: (pod: PodInfo, node: NodeInfo, settings: AllocationSettings, demands: readonly Demand[], fractions: Float64Array) => number,
) {
  return {
    preScore: (pod: PodInfo, _nodes: readonly NodeInfo[], state: CycleState) => {
      const demands = demandsOf(pod, settings);
      state.set(key, { demands, fractions: new Float64Array(demands.length) } satisfies CallState);
    },
    score: (pod: PodInfo, node: NodeInfo, state: CycleState) => {
      const { demands, fractions } = state.get(key) as CallState;
      return score(pod, node, settings, demands, fractions);
    },
  };
}

export const leastAllocated = definePlugin({
  name: "least-allocated",
  description: "prefers nodes with the most unrequested cpu and memory after placing the pod",
  settings: allocationSettings,
  create: (settings: AllocationSettings) => demandScorer("least-allocated", settings, leastAllocatedScore),
});

export const balancedAllocation = definePlugin({
  name: "balanced-allocation",
  description: "prefers nodes whose cpu and memory would be used in equal proportion after placing the pod",
  settings: allocationSettings,
  create: (settings: AllocationSettings) => demandScorer("balanced-allocation", settings, balancedAllocationScore),
});

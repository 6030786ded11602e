// Least-allocated and balanced-allocation scores (NodeResourcesFit's
// LeastAllocated strategy and NodeResourcesBalancedAllocation), from the
// cache's view of what is already requested on each node.
import { z } from "zod";
import { requestedOn, type NodeInfo } from "../nodeinfo.ts";
import { definePlugin, MAX_NODE_SCORE, type PodInfo } from "./plugin.ts";

const weightedResources = z
  .array(z.strictObject({ name: z.string().min(1), weight: z.number().int().min(1).max(100).default(1) }))
  .min(1)
  .default([{ name: "cpu", weight: 1 }, { name: "memory", weight: 1 }]);

export const allocationSettings = z.strictObject({ resources: weightedResources });
export type AllocationSettings = z.infer<typeof allocationSettings>;

/** Fraction of allocatable requested once the pod lands, per resource; undefined where the node offers none. */
function fractionAfter(pod: PodInfo, node: NodeInfo, resource: string): number | undefined {
  const allocatable = node.allocatable[resource];
  if (!allocatable) return undefined;
  const need = resource === "pods" ? 1 : (pod.requests.total[resource] ?? 0);
  return Math.min((requestedOn(node, resource) + need) / allocatable, 1);
}

export function leastAllocatedScore(pod: PodInfo, node: NodeInfo, settings: AllocationSettings): number {
  let total = 0;
  let weights = 0;
  for (const { name, weight } of settings.resources) {
    const fraction = fractionAfter(pod, node, name);
    if (fraction === undefined) continue;
    total += (1 - fraction) * MAX_NODE_SCORE * weight;
    weights += weight;
  }
  return weights === 0 ? 0 : total / weights;
}

/** 100 when every resource is equally used after placement, lower the more they diverge (standard deviation). */
export function balancedAllocationScore(pod: PodInfo, node: NodeInfo, settings: AllocationSettings): number {
  // Two passes instead of an array of fractions: this runs for every node of every call.
  let count = 0;
  let sum = 0;
  for (const { name } of settings.resources) {
    const fraction = fractionAfter(pod, node, name);
    if (fraction === undefined) continue;
    count++;
    sum += fraction;
  }
  if (count < 2) return MAX_NODE_SCORE;
  const mean = sum / count;
  let squares = 0;
  for (const { name } of settings.resources) {
    const fraction = fractionAfter(pod, node, name);
    if (fraction !== undefined) squares += (fraction - mean) ** 2;
  }
  return (1 - Math.sqrt(squares / count)) * MAX_NODE_SCORE;
}

export const leastAllocated = definePlugin({
  name: "least-allocated",
  description: "prefers nodes with the most unrequested cpu and memory after placing the pod",
  settings: allocationSettings,
  create: (settings: AllocationSettings) => ({ score: (pod: PodInfo, node: NodeInfo) => leastAllocatedScore(pod, node, settings) }),
});

export const balancedAllocation = definePlugin({
  name: "balanced-allocation",
  description: "prefers nodes whose cpu and memory would be used in equal proportion after placing the pod",
  settings: allocationSettings,
  create: (settings: AllocationSettings) => ({ score: (pod: PodInfo, node: NodeInfo) => balancedAllocationScore(pod, node, settings) }),
});

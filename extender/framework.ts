// Runs the enabled plugins over a node set: filters in order (first
// rejection wins), scores weighted and scaled to the extender's 0..10.
import { parseQuantity, podRequests } from "../src/resources.ts";
import type { NodeInfo, Resources } from "./nodeinfo.ts";
import { MAX_NODE_SCORE, type CycleState, type FilterPlugin, type PodInfo, type ScorePlugin } from "./plugins/plugin.ts";
import { MAX_EXTENDER_PRIORITY, type FailedNodesMap, type Pod } from "./wire.ts";

export interface Framework {
  readonly filters: readonly { readonly name: string; readonly plugin: FilterPlugin }[];
  readonly scorers: readonly { readonly name: string; readonly weight: number; readonly plugin: ScorePlugin }[];
}

/** A plugin threw: podgate's fault, not the node's. */
export class PluginError extends Error {
  readonly plugin: string;
  constructor(plugin: string, cause: unknown) {
    super(`plugin ${plugin} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.plugin = plugin;
  }
}

/** Pod overhead on its own, so a reason can say how much of the request it is. */
function overheadOf(pod: Pod): Resources {
  const out: Resources = {};
  for (const [name, value] of Object.entries(pod.spec.overhead ?? {})) out[name] = parseQuantity(value);
  return out;
}

/** Computes the pod's requests once; a quantity that does not parse throws a RangeError naming the container. */
export function podInfo(pod: Pod): PodInfo {
  const controller = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  return {
    pod,
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name ?? `${pod.metadata.generateName ?? ""}*`,
    requests: { total: podRequests(pod.spec), overhead: overheadOf(pod) },
    owner: controller?.uid,
  };
}

export interface FilterOutcome {
  readonly passed: NodeInfo[];
  readonly failed: FailedNodesMap;
  readonly unresolvable: FailedNodesMap;
}

/** Throws PluginError when a plugin throws. */
export function runFilters(framework: Framework, pod: PodInfo, nodes: readonly NodeInfo[], state: CycleState = new Map()): FilterOutcome {
  const passed: NodeInfo[] = [];
  const failed: FailedNodesMap = {};
  const unresolvable: FailedNodesMap = {};
  for (const node of nodes) {
    let rejected = false;
    for (const { name, plugin } of framework.filters) {
      let rejection;
      try {
        rejection = plugin.filter(pod, node, state);
      } catch (error) {
        throw new PluginError(name, error);
      }
      if (rejection) {
        (rejection.unresolvable ? unresolvable : failed)[node.name] = rejection.reason;
        rejected = true;
        break;
      }
    }
    if (!rejected) passed.push(node);
  }
  return { passed, failed, unresolvable };
}

const clamp = (n: number, max: number) => (Number.isFinite(n) ? Math.min(Math.max(n, 0), max) : 0);

/**
 * Integer scores 0..10 per node, in input order. A scorer that throws is
 * reported to onError and left out of the weighted mean.
 */
export function runScores(framework: Framework, pod: PodInfo, nodes: readonly NodeInfo[], onError: (error: PluginError) => void, state: CycleState = new Map()): number[] {
  const totals = new Array<number>(nodes.length).fill(0);
  let weights = 0;
  for (const { name, weight, plugin } of framework.scorers) {
    let scores: number[];
    try {
      plugin.preScore?.(pod, nodes, state);
      scores = nodes.map((node) => plugin.score(pod, node, state));
      plugin.normalize?.(scores, state);
    } catch (error) {
      onError(new PluginError(name, error));
      continue;
    }
    for (let i = 0; i < nodes.length; i++) totals[i] = (totals[i] ?? 0) + clamp(scores[i] ?? 0, MAX_NODE_SCORE) * weight;
    weights += weight;
  }
  const scale = weights === 0 ? 0 : MAX_EXTENDER_PRIORITY / (MAX_NODE_SCORE * weights);
  return totals.map((t) => clamp(Math.round(t * scale), MAX_EXTENDER_PRIORITY));
}

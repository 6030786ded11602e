// The four verbs as functions of validated args: no HTTP here. Replies keep
// to what kube-scheduler accepts: filter returns a subset of its input in
// the input's form, prioritize 0..10 integers, preempt only offered victims.
import { EMPTY_USAGE, NodeMemo, NodeUsage, type NodeInfo } from "./nodeinfo.ts";
import { CacheObjectError, type NodeCache } from "./cache/node-cache.ts";
import type { RecentPods } from "./cache/recent-pods.ts";
import { PluginError, podInfo, runFilters, runScores, type Framework } from "./framework.ts";
import type {
  ExtenderArgs,
  ExtenderBindingArgs,
  ExtenderBindingResult,
  ExtenderFilterResult,
  ExtenderPreemptionArgs,
  ExtenderPreemptionResult,
  FailedNodesMap,
  HostPriority,
} from "./wire.ts";

export interface Binder {
  /** Resolves to "" on success, else the reason; never rejects. */
  bind(args: ExtenderBindingArgs): Promise<string>;
}

export interface ExtenderDeps {
  readonly framework: Framework;
  /** The informer cache; absent in plain full-NodeList mode. */
  readonly cache?: NodeCache | undefined;
  readonly binder?: Binder | undefined;
  /** Pods of recent filter calls (node-cache mode), counted on their node once bound. */
  readonly recent?: RecentPods | undefined;
  /** Validated Nodes of earlier full-NodeList calls. */
  readonly nodes: NodeMemo;
  /** A plugin failed: filter replies with Error, prioritize and preempt go on without it. */
  readonly onPluginError: (verb: "filter" | "prioritize" | "preempt", error: PluginError) => void;
}

/** Counts for metrics and the log line. */
export interface Outcome {
  readonly nodesIn: number;
  readonly nodesPassed: number;
  readonly error?: string;
}

const NO_CACHE = "podgate has no node cache (extender.nodeCacheCapable is false): the scheduler must send Nodes, not NodeNames";
const notCached = (name: string) => `node ${name} is not in podgate's node cache (not synced yet, or deleted)`;

interface Resolved {
  readonly nodes: NodeInfo[];
  readonly unknown: FailedNodesMap;
}

function resolve(deps: ExtenderDeps, args: ExtenderArgs): Resolved {
  const unknown: FailedNodesMap = {};
  if (args.Nodes != null) {
    deps.nodes.tick();
    const usageOf = (name: string) => deps.cache?.usage(name) ?? EMPTY_USAGE;
    return { nodes: (args.Nodes.items ?? []).map((raw, i) => deps.nodes.resolve(raw, usageOf, `Nodes.items[${i}]`)), unknown };
  }
  const nodes: NodeInfo[] = [];
  for (const name of args.NodeNames ?? []) {
    const info = deps.cache?.nodeInfo(name);
    if (info) nodes.push(info);
    else unknown[name] = deps.cache ? notCached(name) : NO_CACHE;
  }
  return { nodes, unknown };
}

/** The passing Nodes as the scheduler sent them (nodes[i] was read from items[i]). */
function sent(items: readonly unknown[], nodes: readonly NodeInfo[], passed: readonly NodeInfo[]): unknown[] {
  const keep = new Set(passed);
  return items.filter((_, i) => keep.has(nodes[i]!));
}

export function filter(deps: ExtenderDeps, args: ExtenderArgs): { result: ExtenderFilterResult; outcome: Outcome } {
  const nodesIn = args.Nodes != null ? (args.Nodes.items?.length ?? 0) : (args.NodeNames?.length ?? 0);
  const { nodes, unknown } = resolve(deps, args);
  if (deps.cache) deps.recent?.remember(args.Pod);
  try {
    const { passed, failed, unresolvable } = runFilters(deps.framework, podInfo(args.Pod), nodes);
    const result: ExtenderFilterResult = {
      ...(args.Nodes != null ? { Nodes: { items: sent(args.Nodes.items ?? [], nodes, passed) } } : { NodeNames: passed.map((n) => n.name) }),
      FailedNodes: { ...unknown, ...failed },
      FailedAndUnresolvableNodes: unresolvable,
      Error: "",
    };
    return { result, outcome: { nodesIn, nodesPassed: passed.length } };
  } catch (error) {
    if (!(error instanceof PluginError)) throw error;
    deps.onPluginError("filter", error);
    // The scheduler fails this cycle (or skips us when ignorable) rather than trusting a partial answer.
    return { result: { FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: error.message }, outcome: { nodesIn, nodesPassed: 0, error: error.message } };
  }
}

export function prioritize(deps: ExtenderDeps, args: ExtenderArgs): { result: HostPriority[]; outcome: Outcome } {
  const { nodes, unknown } = resolve(deps, args);
  const scores = runScores(deps.framework, podInfo(args.Pod), nodes, (error) => deps.onPluginError("prioritize", error));
  const result = nodes.map((n, i) => ({ Host: n.name, Score: scores[i] ?? 0 }));
  for (const name of Object.keys(unknown)) result.push({ Host: name, Score: 0 });
  return { result, outcome: { nodesIn: result.length, nodesPassed: nodes.length } };
}

export async function bind(deps: ExtenderDeps, args: ExtenderBindingArgs): Promise<{ result: ExtenderBindingResult; outcome: Outcome }> {
  const error = deps.binder ? await deps.binder.bind(args) : "podgate's bind verb is disabled (extender.bind.enabled is false)";
  if (!error) assume(deps, args);
  return { result: { Error: error }, outcome: { nodesIn: 1, nodesPassed: error ? 0 : 1, ...(error ? { error } : {}) } };
}

/** Counts the bound pod on its node now; the informer's later event for it corrects anything missed. */
function assume(deps: ExtenderDeps, args: ExtenderBindingArgs): void {
  const pod = args.PodUID ? deps.recent?.take(args.PodUID) : undefined;
  if (!pod || !deps.cache) return;
  try {
    deps.cache.assumePod(pod, args.Node);
  } catch (error) {
    // The informer will count it when it reports the binding.
    if (!(error instanceof CacheObjectError)) throw error;
  }
}

/** The offered victims' uids on one node, from whichever map the scheduler sent. */
function victimsOf(args: ExtenderPreemptionArgs, nodeName: string): { uids: string[]; pdb: number } {
  const meta = args.NodeNameToMetaVictims?.[nodeName];
  if (meta) return { uids: (meta.Pods ?? []).map((p) => p.UID), pdb: meta.NumPDBViolations ?? 0 };
  const full = args.NodeNameToVictims?.[nodeName];
  return { uids: (full?.Pods ?? []).flatMap((p) => (p.metadata.uid ? [p.metadata.uid] : [])), pdb: full?.NumPDBViolations ?? 0 };
}

/** The node as it would be with the given pods gone. */
function without(info: NodeInfo, evicted: ReadonlySet<string>): NodeInfo {
  const usage = new NodeUsage();
  for (const pod of info.usage.pods.values()) if (!evicted.has(pod.uid)) usage.add(pod);
  return { ...info, usage };
}

/**
 * Keeps the candidate nodes where evicting the offered victims lets the pod
 * pass podgate's filters. Victims are returned as offered: the scheduler
 * already reduced them to the fewest its own plugins need, so reprieving
 * more here could make the eviction useless. Nodes podgate does not know, or
 * offered with no victims, are dropped (a node with zero victims is an error
 * to the scheduler).
 */
export function preempt(deps: ExtenderDeps, args: ExtenderPreemptionArgs): { result: ExtenderPreemptionResult; outcome: Outcome } {
  const pod = podInfo(args.Pod);
  const names = [...new Set([...Object.keys(args.NodeNameToMetaVictims ?? {}), ...Object.keys(args.NodeNameToVictims ?? {})])];
  const out: ExtenderPreemptionResult["NodeNameToMetaVictims"] = {};
  for (const name of names) {
    const { uids, pdb } = victimsOf(args, name);
    const info = deps.cache?.nodeInfo(name);
    if (uids.length === 0 || !info) continue;
    try {
      if (runFilters(deps.framework, pod, [without(info, new Set(uids))]).passed.length === 0) continue;
    } catch (error) {
      if (!(error instanceof PluginError)) throw error;
      // No opinion on this node: the scheduler's own choice stands.
      deps.onPluginError("preempt", error);
    }
    out[name] = { Pods: uids.map((UID) => ({ UID })), NumPDBViolations: pdb };
  }
  return { result: { NodeNameToMetaVictims: out }, outcome: { nodesIn: names.length, nodesPassed: Object.keys(out).length } };
}

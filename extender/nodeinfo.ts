// What a plugin sees of a node: the Node's labels, taints and allocatable,
// plus what the pods already on it request (from the pod cache).
import { parseQuantity } from "../src/resources.ts";
import { node as nodeSchema, parseAt, type Node, type Taint } from "./wire.ts";

/** Resource name -> amount in base units (cores, bytes, count). */
export type Resources = Record<string, number>;

export function addTo(target: Resources, add: Readonly<Resources>): Resources {
  for (const name in add) target[name] = (target[name] ?? 0) + add[name]!;
  return target;
}

/** One pod bound to a node, as far as scheduling cares. */
export interface PodEntry {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly requests: Resources;
  readonly priority: number;
  /** The controller's uid (ReplicaSet, StatefulSet...), for spreading. */
  readonly owner: string | undefined;
}

/** The pods on one node and their summed requests, kept up to date incrementally. */
export class NodeUsage {
  readonly pods = new Map<string, PodEntry>();
  readonly requested: Resources = {};
  /** Pods per controller uid. */
  readonly owners = new Map<string, number>();

  add(pod: PodEntry): void {
    this.remove(pod.uid);
    this.pods.set(pod.uid, pod);
    addTo(this.requested, pod.requests);
    if (pod.owner) this.owners.set(pod.owner, (this.owners.get(pod.owner) ?? 0) + 1);
  }

  remove(uid: string): PodEntry | undefined {
    const old = this.pods.get(uid);
    if (!old) return undefined;
    this.pods.delete(uid);
    for (const [name, value] of Object.entries(old.requests)) this.requested[name] = (this.requested[name] ?? 0) - value;
    if (old.owner) {
      const left = (this.owners.get(old.owner) ?? 1) - 1;
      if (left > 0) this.owners.set(old.owner, left);
      else this.owners.delete(old.owner);
    }
    return old;
  }
}

export const EMPTY_USAGE: NodeUsage = new NodeUsage();

export interface NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly unschedulable: boolean;
  readonly allocatable: Resources;
  readonly usage: NodeUsage;
}

export const ZONE_LABEL = "topology.kubernetes.io/zone";

/** Builds a NodeInfo; an allocatable quantity that does not parse throws a RangeError naming the node. */
export function nodeInfo(node: Node, usage: NodeUsage = EMPTY_USAGE): NodeInfo {
  const allocatable: Resources = {};
  for (const [name, value] of Object.entries(node.status?.allocatable ?? {})) {
    try {
      allocatable[name] = parseQuantity(value);
    } catch (error) {
      throw new RangeError(`node ${node.metadata.name} status.allocatable.${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return {
    name: node.metadata.name,
    node,
    labels: node.metadata.labels ?? {},
    taints: node.spec?.taints ?? [],
    unschedulable: node.spec?.unschedulable === true,
    allocatable,
    usage,
  };
}

/** With a pod count of its own: the "pods" resource counts pods, not requests. */
export function requestedOn(info: NodeInfo, resource: string): number {
  return resource === "pods" ? info.usage.pods.size : (info.usage.requested[resource] ?? 0);
}

/**
 * NodeInfo for the Nodes of full-NodeList calls, kept per node name and
 * rebuilt only when the resourceVersion changes: the scheduler sends the
 * same, mostly unchanged Nodes on every call. Nodes without a
 * resourceVersion are validated every time. Entries unseen for `keepCalls`
 * calls are dropped.
 */
export class NodeMemo {
  private readonly entries = new Map<string, { version: string; info: NodeInfo; seen: number }>();
  private calls = 0;
  private readonly keepCalls: number;

  constructor(keepCalls = 200) {
    this.keepCalls = keepCalls;
  }

  /** Throws WireError (field under `at`) for a Node that is not well formed. */
  resolve(raw: unknown, usageOf: (name: string) => NodeUsage, at: string): NodeInfo {
    const id = identity(raw);
    const entry = id ? this.entries.get(id.name) : undefined;
    if (id && entry && entry.version === id.version) {
      entry.seen = this.calls;
      const usage = usageOf(id.name);
      if (entry.info.usage !== usage) entry.info = { ...entry.info, usage };
      return entry.info;
    }
    const node = parseAt(nodeSchema, raw, at);
    const info = nodeInfo(node, usageOf(node.metadata.name));
    if (id) this.entries.set(id.name, { version: id.version, info, seen: this.calls });
    return info;
  }

  /** Call once per request: ages entries and drops the stale ones now and then. */
  tick(): void {
    this.calls++;
    if (this.calls % this.keepCalls !== 0) return;
    for (const [name, entry] of this.entries) if (this.calls - entry.seen > this.keepCalls) this.entries.delete(name);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A Node's name and resourceVersion when both are non-empty strings; anything else is validated in full. */
function identity(raw: unknown): { name: string; version: string } | undefined {
  const metadata = typeof raw === "object" && raw !== null ? (raw as { metadata?: unknown }).metadata : undefined;
  if (typeof metadata !== "object" || metadata === null) return undefined;
  const { name, resourceVersion } = metadata as { name?: unknown; resourceVersion?: unknown };
  return typeof name === "string" && name !== "" && typeof resourceVersion === "string" && resourceVersion !== "" ? { name, version: resourceVersion } : undefined;
}

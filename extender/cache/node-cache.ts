// The extender's own view of the cluster: Nodes by name and, per node, the
// pods bound to it with their summed requests. Fed events by the informers
// (or by tests); every update is incremental and validated.
import { z } from "zod";
import { describeIssue } from "../../src/issues.ts";
import { podRequests } from "../../src/resources.ts";
import { EMPTY_USAGE, NodeUsage, nodeInfo, type NodeInfo, type PodEntry } from "../nodeinfo.ts";
import { node as nodeSchema, pod as podSchema } from "../wire.ts";

const cachedPod = podSchema.extend({
  metadata: z.looseObject({
    uid: z.string().min(1),
    name: z.string(),
    namespace: z.string(),
    ownerReferences: z.array(z.looseObject({ uid: z.string(), controller: z.boolean().nullish() })).nullish(),
  }),
  status: z.looseObject({ phase: z.string().nullish() }).nullish(),
});

/** The object could not be read; the cache keeps its previous state for it. */
export class CacheObjectError extends Error {}

function parse<S extends z.ZodType>(schema: S, kind: string, object: unknown): z.output<S> {
  const result = schema.safeParse(object);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const name = (object as { metadata?: { namespace?: string; name?: string } } | null)?.metadata;
  throw new CacheObjectError(`${kind} ${name?.namespace ? `${name.namespace}/` : ""}${name?.name ?? "(unnamed)"}: ${first ? describeIssue(first).message : "invalid"}`);
}

function podEntry(object: unknown): PodEntry | undefined {
  const pod = parse(cachedPod, "pod", object);
  const nodeName = pod.spec.nodeName;
  // Terminated pods hold no resources (the scheduler's cache drops them too).
  if (!nodeName || pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return undefined;
  let requests;
  try {
    requests = podRequests(pod.spec);
  } catch (error) {
    throw new CacheObjectError(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ${(error as Error).message}`);
  }
  return {
    uid: pod.metadata.uid,
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    nodeName,
    requests,
    priority: pod.spec.priority ?? 0,
    owner: pod.metadata.ownerReferences?.find((o) => o.controller === true)?.uid,
  };
}

export class NodeCache {
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly usages = new Map<string, NodeUsage>();
  private readonly podNodes = new Map<string, string>();

  get nodeCount(): number {
    return this.nodes.size;
  }

  get podCount(): number {
    return this.podNodes.size;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  /** The pods on a node by name, known or not (full-NodeList mode builds NodeInfo from the Node it is sent). */
  usage(name: string): NodeUsage {
    return this.usages.get(name) ?? EMPTY_USAGE;
  }

  private usageFor(name: string): NodeUsage {
    let usage = this.usages.get(name);
    if (!usage) this.usages.set(name, (usage = new NodeUsage()));
    return usage;
  }

  /** Throws CacheObjectError for an object it cannot read. */
  upsertNode(object: unknown): void {
    const node = parse(nodeSchema, "node", object);
    try {
      this.nodes.set(node.metadata.name, nodeInfo(node, this.usageFor(node.metadata.name)));
    } catch (error) {
      throw new CacheObjectError((error as Error).message);
    }
  }

  deleteNode(name: string): void {
    this.nodes.delete(name);
    if (this.usages.get(name)?.pods.size === 0) this.usages.delete(name);
  }

  /** A fresh list is the truth: nodes missing from it are dropped. Returns the problems of unreadable items. */
  replaceNodes(objects: readonly unknown[]): string[] {
    return replaceAll(objects, (o) => this.upsertNode(o), (o) => (o as { metadata: { name: string } }).metadata.name, this.nodes.keys(), (name) => this.deleteNode(name));
  }

  /** Throws CacheObjectError for an object it cannot read. */
  upsertPod(object: unknown): void {
    const entry = podEntry(object);
    const uid = (object as { metadata: { uid: string } }).metadata.uid;
    this.deletePod(uid);
    if (!entry) return;
    this.usageFor(entry.nodeName).add(entry);
    this.podNodes.set(entry.uid, entry.nodeName);
  }

  /**
   * Counts a pod the extender just bound on `nodeName`, unless the informer
   * already reported it. The informer's event for the pod replaces this entry
   * and a relist drops it if the binding never shows. Throws CacheObjectError
   * for a pod it cannot read.
   */
  assumePod(pod: { metadata: { uid?: string | undefined }; spec: object }, nodeName: string): boolean {
    if (!pod.metadata.uid || this.podNodes.has(pod.metadata.uid)) return false;
    this.upsertPod({ ...pod, spec: { ...pod.spec, nodeName } });
    return true;
  }

  deletePod(uid: string): void {
    const nodeName = this.podNodes.get(uid);
    if (nodeName === undefined) return;
    this.podNodes.delete(uid);
    const usage = this.usages.get(nodeName);
    usage?.remove(uid);
    if (usage?.pods.size === 0 && !this.nodes.has(nodeName)) this.usages.delete(nodeName);
  }

  replacePods(objects: readonly unknown[]): string[] {
    return replaceAll(objects, (o) => this.upsertPod(o), (o) => (o as { metadata: { uid: string } }).metadata.uid, this.podNodes.keys(), (uid) => this.deletePod(uid));
  }
}

/** Upserts every listed object, then removes the keys the list no longer has. */
function replaceAll(
  objects: readonly unknown[],
  upsert: (object: unknown) => void,
  keyOf: (object: unknown) => string,
  existing: Iterable<string>,
  remove: (key: string) => void,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const object of objects) {
    try {
      upsert(object);
      seen.add(keyOf(object));
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  for (const key of [...existing]) if (!seen.has(key)) remove(key);
  return problems;
}

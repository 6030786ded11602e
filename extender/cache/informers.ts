// Feeds the NodeCache from the API: list+watch of Nodes and of Pods bound to
// a node (@kubernetes/client-node ListWatch), restarted with backoff after
// errors, with a periodic full relist; ready once every list has landed.
import { CoreV1Api, ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from "@kubernetes/client-node";
import type { FastifyBaseLogger } from "fastify";
import type { ExtenderMetrics } from "../metrics.ts";
import { CacheObjectError, type NodeCache } from "./node-cache.ts";

/** Bound, not finished: what holds resources on a node. */
export const POD_FIELD_SELECTOR = "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed";

export interface Feed {
  /** Undefined when every informer has listed once, else what is missing. */
  notSynced(): string | undefined;
  stop(): Promise<void>;
}

interface Source {
  readonly kind: "node" | "pod";
  readonly path: string;
  readonly fieldSelector?: string;
  list(): Promise<KubernetesListObject<KubernetesObject>>;
  upsert(object: unknown): void;
  remove(object: KubernetesObject): void;
  replace(objects: readonly unknown[]): string[];
}

export interface FeedOptions {
  readonly kubeConfig: KubeConfig;
  readonly cache: NodeCache;
  readonly nodes: boolean;
  readonly pods: boolean;
  readonly resyncSeconds: number;
  readonly log: FastifyBaseLogger;
  readonly metrics: ExtenderMetrics;
  /** Backoff bounds after a failed list or watch. */
  readonly retryMs?: { readonly min: number; readonly max: number };
}

const versionOf = (object: KubernetesObject) => Number(object.metadata?.resourceVersion ?? Number.NaN);

function sources(options: FeedOptions): Source[] {
  const api = options.kubeConfig.makeApiClient(CoreV1Api);
  const { cache } = options;
  const out: Source[] = [];
  if (options.nodes) {
    out.push({
      kind: "node",
      path: "/api/v1/nodes",
      list: () => api.listNode(),
      upsert: (o) => cache.upsertNode(o),
      remove: (o) => cache.deleteNode(o.metadata?.name ?? ""),
      replace: (items) => cache.replaceNodes(items),
    });
  }
  if (options.pods) {
    out.push({
      kind: "pod",
      path: "/api/v1/pods",
      fieldSelector: POD_FIELD_SELECTOR,
      list: () => api.listPodForAllNamespaces({ fieldSelector: POD_FIELD_SELECTOR }),
      upsert: (o) => cache.upsertPod(o),
      remove: (o) => cache.deletePod(o.metadata?.uid ?? ""),
      replace: (items) => cache.replacePods(items),
    });
  }
  return out;
}

export function startFeed(options: FeedOptions): Feed {
  const { log, metrics } = options;
  const retry = options.retryMs ?? { min: 1000, max: 30000 };
  const watch = new Watch(options.kubeConfig);
  const synced = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const informers: ListWatch<KubernetesObject>[] = [];
  let stopped = false;
  const all = sources(options);

  for (const source of all) {
    // Events that arrive while a list is in flight are replayed on top of it, unless the list is newer.
    let buffered: { apply: () => void; version: number }[] | undefined;
    const applied = (apply: () => void, object: KubernetesObject) => {
      if (buffered) buffered.push({ apply, version: versionOf(object) });
      try {
        apply();
        metrics.cacheEvents.inc({ kind: source.kind, result: "ok" });
      } catch (error) {
        const invalid = error instanceof CacheObjectError;
        metrics.cacheEvents.inc({ kind: source.kind, result: invalid ? "invalid" : "error" });
        log.warn({ err: invalid ? undefined : error, kind: source.kind }, `cache skipped an object: ${(error as Error).message}`);
      }
    };
    const relist = async () => {
      buffered = [];
      try {
        const list = await source.list();
        const listVersion = Number(list.metadata?.resourceVersion ?? Number.NaN);
        for (const problem of source.replace(list.items)) {
          metrics.cacheEvents.inc({ kind: source.kind, result: "invalid" });
          log.warn({ kind: source.kind }, `cache skipped an object: ${problem}`);
        }
        for (const event of buffered) if (!(event.version <= listVersion)) event.apply();
        if (!synced.has(source.kind)) log.info({ kind: source.kind, count: list.items.length }, "extender cache synced");
        synced.add(source.kind);
        return list;
      } finally {
        buffered = undefined;
      }
    };
    const informer = new ListWatch<KubernetesObject>(source.path, watch, relist, false, undefined, source.fieldSelector);
    informer.on("add", (o) => applied(() => source.upsert(o), o));
    informer.on("update", (o) => applied(() => source.upsert(o), o));
    informer.on("delete", (o) => applied(() => source.remove(o), o));
    let delay = retry.min;
    // ListWatch stops for good after an error other than 410 Gone: restart it, backing off.
    informer.on("error", (error: unknown) => {
      if (stopped) return;
      metrics.cacheEvents.inc({ kind: source.kind, result: "error" });
      log.warn({ err: error, kind: source.kind, retryInMs: delay }, "extender informer failed; restarting");
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopped) void informer.start();
      }, delay);
      timers.add(timer);
      delay = Math.min(delay * 2, retry.max);
    });
    informer.on("connect", () => (delay = retry.min));
    informers.push(informer);
    void informer.start();
    const resync = setInterval(() => {
      relist().catch((error: unknown) => log.warn({ err: error, kind: source.kind }, "extender cache resync failed"));
    }, options.resyncSeconds * 1000);
    resync.unref();
    timers.add(resync);
  }

  return {
    notSynced: () => {
      const missing = all.filter((s) => !synced.has(s.kind)).map((s) => `${s.kind}s`);
      return missing.length > 0 ? `waiting for the first list of ${missing.join(" and ")}` : undefined;
    },
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}

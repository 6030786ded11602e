// The extender as a server Extension: its routes, and at start the node
// cache informers (readiness waits for their first list) and the binder.
import type { KubeConfig } from "@kubernetes/client-node";
import type { LoadedConfig } from "../src/config/load.ts";
import type { Extension } from "../src/server/serve.ts";
import { NodeCache } from "./cache/node-cache.ts";
import { RecentPods } from "./cache/recent-pods.ts";
import type { ExtenderConfig } from "./config.ts";
import { extenderMetrics, type ExtenderMetrics } from "./metrics.ts";
import { NodeMemo } from "./nodeinfo.ts";
import { extenderRoutes, type Verb } from "./routes.ts";
import type { ExtenderDeps } from "./verbs.ts";

export function enabledVerbs(config: ExtenderConfig): Verb[] {
  const verbs: Verb[] = [];
  if (config.filter) verbs.push("filter");
  if (config.prioritize) verbs.push("prioritize");
  if (config.bind.enabled) verbs.push("bind");
  if (config.preempt) verbs.push("preempt");
  return verbs;
}

async function apiAccess(config: ExtenderConfig) {
  // Imported here: the Kubernetes client costs ~85 MB of RSS, paid only when a feature needs the API.
  const { loadKubeConfig } = await import("../src/kube/client.ts");
  const why = config.nodeCacheCapable ? "nodeCacheCapable" : config.watchPods ? "watchPods" : "bind";
  try {
    return loadKubeConfig(config.kubeconfig);
  } catch (error) {
    throw new Error(`the extender's ${why} needs the Kubernetes API, but no kubeconfig could be loaded: ${(error as Error).message}`, { cause: error });
  }
}

async function kubeBinder(kubeConfig: KubeConfig) {
  const { apiBinder, kubeBindingApi } = await import("./bind.ts");
  return apiBinder(kubeBindingApi(kubeConfig));
}

/** `sectionOf` reads the extender section of a reloaded config: its plugins are swapped in live. */
export function extenderExtension(config: ExtenderConfig, sectionOf: (config: LoadedConfig) => ExtenderConfig): Extension {
  let deps: ExtenderDeps | undefined;
  let metrics: ExtenderMetrics | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the extender extension has not started");
    return value;
  };
  return {
    name: "extender",
    plugin: extenderRoutes({
      urlPrefix: config.urlPrefix,
      verbs: enabledVerbs(config),
      deps: () => started(deps),
      metrics: () => started(metrics),
    }),
    async start({ readiness, metrics: serverMetrics, log }) {
      const m = (metrics = extenderMetrics(serverMetrics.registry));
      const needsCache = config.nodeCacheCapable || config.watchPods;
      const kubeConfig = needsCache || config.bind.enabled ? await apiAccess(config) : undefined;
      const cache = needsCache ? new NodeCache() : undefined;
      const feed =
        kubeConfig && cache
          ? (await import("./cache/informers.ts")).startFeed({ kubeConfig, cache, nodes: config.nodeCacheCapable, pods: true, resyncSeconds: config.resyncSeconds, log, metrics: m })
          : undefined;
      if (feed) {
        readiness.add("extender-cache", () => {
          const stale = feed.staleSeconds();
          if (stale > config.staleAfterSeconds) return `lost the Kubernetes API ${Math.round(stale)} s ago (staleAfterSeconds ${config.staleAfterSeconds}); answering from the cache`;
          return feed.notSynced();
        });
      }
      deps = {
        framework: config.framework,
        cache,
        recent: cache && config.bind.enabled ? new RecentPods() : undefined,
        nodes: new NodeMemo(),
        binder: kubeConfig && config.bind.enabled ? await kubeBinder(kubeConfig) : undefined,
        onPluginError: (verb, error) => {
          m.pluginErrors.inc({ verb, plugin: error.plugin });
          log.error({ err: error.cause, verb, plugin: error.plugin }, error.message);
        },
      };
      log.info({ urlPrefix: config.urlPrefix, verbs: enabledVerbs(config), nodeCacheCapable: config.nodeCacheCapable, plugins: config.plugins.filter((p) => p.enabled).map((p) => p.name) }, "scheduler extender enabled");
      return async () => {
        await feed?.stop();
      };
    },
    adopt(next) {
      // Each request reads deps once, so a cycle's filter and prioritize calls already under way keep their plugins.
      if (deps) deps = { ...deps, framework: sectionOf(next).framework };
    },
  };
}

// The extender's Prometheus metrics, registered on the server's registry.
import { Counter, Histogram, type Registry } from "prom-client";

export type ExtenderMetrics = ReturnType<typeof extenderMetrics>;

export function extenderMetrics(registry: Registry) {
  const registers = [registry];
  return {
    duration: new Histogram({
      name: "podgate_extender_duration_seconds",
      help: "Time spent answering one extender call, by verb and outcome (ok, error, bad_request)",
      labelNames: ["verb", "outcome"] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    nodesIn: new Counter({ name: "podgate_extender_nodes_in_total", help: "Nodes offered to the extender, by verb", labelNames: ["verb"] as const, registers }),
    nodesPassed: new Counter({
      name: "podgate_extender_nodes_passed_total",
      help: "Nodes the extender passed (filter), scored from its cache (prioritize), bound (bind) or kept (preempt), by verb",
      labelNames: ["verb"] as const,
      registers,
    }),
    payload: new Histogram({
      name: "podgate_extender_request_bytes",
      help: "Size of extender request bodies, by verb",
      labelNames: ["verb"] as const,
      buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216],
      registers,
    }),
    pluginErrors: new Counter({ name: "podgate_extender_plugin_errors_total", help: "Plugin failures, by verb and plugin", labelNames: ["verb", "plugin"] as const, registers }),
    cacheEvents: new Counter({
      name: "podgate_extender_cache_events_total",
      help: "Informer events applied to the node cache, by kind (node, pod) and result (ok, invalid, error)",
      labelNames: ["kind", "result"] as const,
      registers,
    }),
  };
}

// Live reload: when a file the config was built from changes, the whole
// config is loaded again off to the side. Valid: it replaces the served one
// between requests. Invalid: the served one stays, every problem is logged
// with its key path, and the metrics and /readyz say so. Never half-applied:
// a change the running server cannot take (its port, its certificates, which
// extensions run) refuses the whole reload and asks for a restart.
import type { FastifyBaseLogger } from "fastify";
import { ConfigError, type LoadedConfig } from "../config/load.ts";
import { watchFiles } from "../config/watch.ts";
import type { Metrics } from "./metrics.ts";
import type { Readiness } from "./readiness.ts";
import type { ServedConfig } from "./served-config.ts";

export type ReloadResult =
  | { readonly result: "reloaded"; readonly generation: number }
  | { readonly result: "invalid" | "restart-required"; readonly problems: readonly string[] };

export interface ReloadOptions {
  readonly served: ServedConfig;
  /** Loads the config again as the given generation (users' modules afresh); throws ConfigError. */
  readonly load: (generation: number) => Promise<LoadedConfig>;
  /** Keys of each config section that a reload applies live (the extender's plugins); the rest need a restart. */
  readonly liveSectionKeys: Readonly<Record<string, readonly string[]>>;
  /** Applies the live part of a new config outside the admission webhooks (the extender's plugins). */
  readonly adopt: (next: LoadedConfig) => void;
  readonly intervalMs: number;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  readonly log: FastifyBaseLogger;
}

export interface Reloader {
  /** Loads and, if it is valid, serves the config now (tests, a SIGHUP). */
  reload(): Promise<ReloadResult>;
  stop(): void;
}

/** The parts of a config only a restart applies, as plain data (functions dropped). */
function restartOnly(config: LoadedConfig, live: ReloadOptions["liveSectionKeys"]): Record<string, unknown> {
  const sections = Object.fromEntries(
    Object.entries(config.sections).map(([name, value]) => [
      name,
      typeof value === "object" && value !== null ? Object.fromEntries(Object.entries(value).filter(([key]) => !(live[name] ?? []).includes(key))) : value,
    ]),
  );
  return JSON.parse(JSON.stringify({ server: config.server, namespaces: config.namespaces, ...sections })) as Record<string, unknown>;
}

/** The key paths where two plain values differ, as deep as both are objects. */
export function differences(a: unknown, b: unknown, path = ""): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((key) => differences(a[key], b[key], path ? `${path}.${key}` : key));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [path];
}

export function startReload(options: ReloadOptions): Reloader {
  const { served, metrics, log } = options;
  // Every attempt loads modules under a new generation, a failed one too: its modules must not be reused.
  let attempts = served.config.generation;
  let failure: string | undefined;
  let running: Promise<ReloadResult> | undefined;
  metrics.configGeneration.set(served.config.generation);
  metrics.configLastReloadSuccessful.set(1);
  options.readiness.note("config", () => failure);

  const failed = (result: "invalid" | "restart-required", problems: readonly string[]): ReloadResult => {
    metrics.configReloads.inc({ result });
    metrics.configLastReloadSuccessful.set(0);
    const what = result === "invalid" ? "is invalid" : "needs a restart";
    failure = `the changed config ${what}; serving generation ${served.config.generation}, loaded before it: ${problems.join("; ")}`;
    for (const problem of problems) log.error({ problem, generation: served.config.generation }, `config reload: the new config ${what}; still serving the previous one`);
    return { result, problems };
  };

  const attempt = async (): Promise<ReloadResult> => {
    const current = served.config;
    let next: LoadedConfig;
    try {
      next = await options.load(++attempts);
    } catch (error) {
      // Anything a load throws leaves the served config as it is; a ConfigError names its problems.
      const problems = error instanceof ConfigError ? error.problems : [(error as Error).message];
      if (error instanceof ConfigError) watch.watch([...new Set([...current.files, ...error.files])]);
      return failed("invalid", problems);
    }
    const changed = differences(restartOnly(current, options.liveSectionKeys), restartOnly(next, options.liveSectionKeys));
    if (changed.length > 0) {
      next.retire();
      watch.watch([...new Set([...current.files, ...next.files])]);
      return failed(
        "restart-required",
        changed.map((key) => `${key}: changed; podgate applies admission webhooks and scheduler plugins live, restart it to apply this`),
      );
    }
    served.swap(next);
    options.adopt(next);
    watch.watch(next.files);
    failure = undefined;
    metrics.configReloads.inc({ result: "reloaded" });
    metrics.configLastReloadSuccessful.set(1);
    metrics.configGeneration.set(next.generation);
    log.info({ generation: next.generation, mutating: next.mutating.map((h) => h.name), validating: next.validating.map((h) => h.name) }, "config reloaded");
    return { result: "reloaded", generation: next.generation };
  };

  // One load at a time: a change during a load is picked up by the watch afterwards.
  const reload = (): Promise<ReloadResult> =>
    (running ??= attempt().finally(() => {
      running = undefined;
    }));

  const watch = watchFiles(served.config.files, options.intervalMs, () => {
    reload().catch((error: unknown) => log.error({ err: error }, "config reload failed"));
  });
  return { reload, stop: () => watch.stop() };
}

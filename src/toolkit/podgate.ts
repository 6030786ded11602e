// The programmatic server, for a program that wants its own main: the
// built-ins plus the program's registered webhooks and plugins, serving a
// config as `podgate serve` does.
import { resolve } from "node:path";
import { builtinRegistry, extensionsFor } from "../wiring.ts";
import { certificates } from "../certs/config.ts";
import { loadConfig } from "../config/default.ts";
import { buildConfig, type LoadedConfig } from "../config/load.ts";
import { startServer, type RunningServer } from "../server/serve.ts";
import type { Definition, Registry } from "./registry.ts";

export interface ServeOptions {
  /** A config file (YAML), or a config as an object; the embedded default when absent. */
  readonly config?: string | Readonly<Record<string, unknown>>;
  /** What a config object's paths (modules, policy files) are read against; the working directory by default. */
  readonly baseDir?: string;
}

export interface Podgate {
  readonly registry: Registry;
  /** Adds webhooks (named by `type` in the config) and plugins (by `name`). */
  register(...definitions: readonly Definition[]): Podgate;
  /** Validates a config and builds its handlers and plugins; throws ConfigError naming every problem's key path. */
  load(options?: ServeOptions): Promise<LoadedConfig>;
  /** Loads the config and serves it over HTTPS; close() drains and stops. */
  serve(options?: ServeOptions): Promise<RunningServer>;
}

export function createPodgate(...definitions: readonly Definition[]): Podgate {
  const registry = builtinRegistry().register(...definitions);
  const podgate: Podgate = {
    registry,
    register(...more) {
      registry.register(...more);
      return podgate;
    },
    load: (options = {}) => loadAs(registry, options, 0),
    serve: (options = {}) => serveReloading(registry, (generation) => loadAs(registry, options, generation)),
  };
  return podgate;
}

function loadAs(registry: Registry, { config, baseDir }: ServeOptions, generation: number): Promise<LoadedConfig> {
  if (config === undefined || typeof config === "string") return loadConfig(config === undefined ? {} : { path: config }, registry, generation);
  return Promise.resolve(buildConfig(config, registry, "(config object)", baseDir ? resolve(baseDir) : process.cwd(), generation));
}

/** Serves what `load` loads, and loads it again (the next generation) whenever a file it was built from changes. */
export async function serveReloading(registry: Registry, load: (generation: number) => Promise<LoadedConfig>): Promise<RunningServer> {
  const config = await load(0);
  return startServer(config, extensionsFor(config), { generateCertificates: certificates.of(config).mode === "local", load, liveSectionKeys: registry.liveSectionKeys });
}

/** Serves a config with the built-ins only: `await serve({ config: "podgate.yaml" })`. */
export const serve = (options: ServeOptions = {}): Promise<RunningServer> => createPodgate().serve(options);

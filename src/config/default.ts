// The embedded default config ships in the package as config/default.yaml;
// command-line flags override the server section before validation.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { buildConfig, ConfigError, decodeYaml, isRecord, readConfigFile, zodProblems, type ConfigRegistry, type LoadedConfig } from "./load.ts";
import { serverConfig } from "./schema.ts";
import { packagePath } from "../package-root.ts";

export const DEFAULT_CONFIG_PATH = packagePath("config/default.yaml");

export async function defaultConfigText(): Promise<string> {
  return readFile(DEFAULT_CONFIG_PATH, "utf8");
}

export interface ConfigSource {
  /** A config file; the embedded default when absent. */
  readonly path?: string;
  /** Keys of the server section set on the command line. */
  readonly serverOverrides?: Readonly<Record<string, unknown>>;
}

/** Loads and validates the config; a reload passes the next generation. Its files include the config file. */
export async function loadConfig(source: ConfigSource, registry: ConfigRegistry, generation = 0): Promise<LoadedConfig> {
  const name = source.path ?? "(embedded default config)";
  const configFile = source.path ? [resolve(source.path)] : [];
  try {
    const config = await loadFrom(source, registry, name, generation);
    return { ...config, files: [...configFile, ...config.files] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(name, error.problems, [...configFile, ...error.files]);
  }
}

async function loadFrom(source: ConfigSource, registry: ConfigRegistry, name: string, generation: number): Promise<LoadedConfig> {
  const raw = source.path ? await readConfigFile(source.path) : decodeYaml(await defaultConfigText(), name);
  // A file's relative paths (modules, policies) mean what they say next to it, whatever the working directory.
  const baseDir = source.path ? dirname(resolve(source.path)) : process.cwd();
  const overrides = Object.fromEntries(Object.entries(source.serverOverrides ?? {}).filter(([, v]) => v !== undefined));
  if (Object.keys(overrides).length === 0) return buildConfig(raw, registry, name, baseDir, generation);
  // A flag must not hide an invalid value in the file: the file is judged as written first.
  const fileServer = serverConfig.safeParse(isRecord(raw) ? (raw["server"] ?? {}) : {});
  const fileProblems = fileServer.success ? [] : zodProblems(fileServer.error, "server");
  const base = isRecord(raw) ? raw : {};
  const server = isRecord(base["server"]) ? base["server"] : {};
  const metrics = { ...(server["metrics"] as object | undefined), ...(overrides["metrics"] as object | undefined) };
  try {
    const config = buildConfig({ ...base, server: { ...server, ...overrides, metrics } }, registry, name, baseDir, generation);
    if (fileProblems.length > 0) {
      config.retire();
      throw new ConfigError(name, fileProblems, config.files);
    }
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError) || fileProblems.length === 0) throw error;
    throw new ConfigError(name, [...new Set([...fileProblems, ...error.problems])], error.files);
  }
}

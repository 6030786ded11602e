// Loading users' modules named by the config (`module:` keys, a policy
// webhook's `modules:`): paths relative to the config file, compiled JS in
// any project, TypeScript where Node strips types (22.18+, outside
// node_modules). Loading is synchronous (require of ES modules), so a config
// is fully built, handlers and plugins included, when it loads.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { definitionKind, type DefinitionKind } from "./definition-kind.ts";
import { localFilesOf, moduleSpecifier } from "./module-generations.ts";

export class ModuleError extends Error {}

/** A path from the config, absolute, read against the config file's directory. */
export const resolveFrom = (baseDir: string, path: string): string => (isAbsolute(path) ? path : resolve(baseDir, path));

const require = createRequire(import.meta.url);

/** The nearest package.json's "type", which decides how Node reads a .ts or .js file. */
function packageType(file: string): string | undefined {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { type?: string }).type ?? "commonjs";
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

/** Node's bare message for ES module syntax read as CommonJS, turned into what to do about it. */
function explain(path: string, error: Error): string {
  const first = error.message.split("\n")[0] ?? error.message;
  const esmAsCommonJs = /Unexpected token 'export'|Cannot use import statement outside a module/.test(first);
  if (esmAsCommonJs && /\.[jt]s$/.test(path) && packageType(path) === "commonjs") {
    return `${path}: uses ES module syntax (import/export), but the nearest package.json makes Node load it as CommonJS; rename it to .${path.endsWith(".ts") ? "mts" : "mjs"} or set "type": "module"`;
  }
  if ((error as NodeJS.ErrnoException).code === "ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING") return `${path}: Node does not strip types under node_modules; point the config at the package's compiled JavaScript`;
  if ((error as NodeJS.ErrnoException).code === "ERR_REQUIRE_ASYNC_MODULE") return `${path}: uses top-level await, which podgate's synchronous module loading cannot wait for; move the await into create()`;
  if ((error as NodeJS.ErrnoException).code === "ERR_UNKNOWN_FILE_EXTENSION") return `${path}: this Node (${process.versions.node}) cannot load TypeScript; use Node 22.18 or newer, or compile the module to JavaScript`;
  return `${path}: cannot load module: ${first}`;
}

const NAMES: Record<DefinitionKind, string> = {
  "mutating-webhook": "a mutating webhook (defineMutatingWebhook)",
  "validating-webhook": "a validating webhook (defineValidatingWebhook)",
  plugin: "a scheduler plugin (definePlugin)",
};

/**
 * Loads the modules of one config and keeps the list of files that config
 * read (modules, the local files they import, policy files), so a change to
 * any of them reloads it. Each reload gets a loader of the next generation,
 * which loads every module afresh (module-generations.ts).
 */
export class ModuleLoader {
  readonly #generation: number;
  readonly #files = new Set<string>();

  constructor(generation = 0) {
    this.#generation = generation;
  }

  /** A module's default export (or, for CommonJS `module.exports = …`, the module itself). */
  load(path: string): unknown {
    this.#files.add(path);
    let loaded: unknown;
    try {
      loaded = require(moduleSpecifier(path, this.#generation));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "MODULE_NOT_FOUND" && (error as Error).message.includes(`'${path}'`)) throw new ModuleError(`${path}: cannot load module: no such file`);
      throw new ModuleError(explain(path, error as Error));
    } finally {
      for (const file of localFilesOf(path)) this.#files.add(file);
    }
    const namespace = loaded as { default?: unknown } | null;
    return namespace !== null && typeof namespace === "object" && "default" in namespace ? namespace.default : loaded;
  }

  /** The definition a module exports by default, checked to be of the kind the config entry needs. */
  loadDefinition<T>(path: string, expected: DefinitionKind): T {
    const value = this.load(path);
    const found = definitionKind(value);
    if (found === expected) return value as T;
    throw new ModuleError(`${path}: expected its default export to be ${NAMES[expected]}, found ${found ? NAMES[found] : value === undefined ? "no default export" : typeof value}`);
  }

  /** A file or directory the config reads besides modules (a policy file): a change to it reloads the config. */
  dependOn(...paths: readonly string[]): void {
    for (const path of paths) this.#files.add(path);
  }

  /** Every file and directory this config was built from, as far as loading it has shown. */
  get files(): readonly string[] {
    return [...this.#files];
  }
}

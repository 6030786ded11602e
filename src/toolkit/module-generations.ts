// Users' modules loaded afresh on each config reload. Node caches a module by
// its file for the life of the process, and an ES module loaded through
// require() cannot be evicted, so a reloaded config loads each of its modules
// under a generation-tagged name (policy.ts → policy.podgate-gen-2.ts). The
// resolve hook gives every local file a module imports the same tag, so
// helpers are fresh too, and the load hook reads the real file. node_modules
// are shared across generations. The hooks also record which local files each
// module imports: a change to any of them reloads the config.
import { createRequire, registerHooks } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const PREFIX = "podgate-module:";
const require = createRequire(import.meta.url);
const TAG = /\.podgate-gen-(\d+)(\.[^./]*)?$/;

/** Local files each loaded local file imports (real paths), as resolved. */
const localImports = new Map<string, Set<string>>();
let registered = false;

const isLocalFile = (url: string) => url.startsWith("file:") && !url.includes("/node_modules/");

/** The real file of a tagged URL, and its generation (0: untagged). */
function untag(url: string): { url: string; generation: number } {
  if (!url.startsWith("file:")) return { url, generation: 0 };
  const parsed = new URL(url);
  const match = TAG.exec(parsed.pathname);
  if (!match) return { url, generation: 0 };
  parsed.pathname = parsed.pathname.replace(TAG, "$2");
  return { url: parsed.href, generation: Number(match[1]) };
}

function tag(url: string, generation: number): string {
  const parsed = new URL(url);
  parsed.pathname = parsed.pathname.replace(/(\.[^./]*)?$/, (extension) => `.podgate-gen-${generation}${extension}`);
  return parsed.href;
}

function ensureHooks(): void {
  if (registered) return;
  registered = true;
  registerHooks({
    resolve(specifier, context, next) {
      const entry = specifier.startsWith(PREFIX) ? /^podgate-module:(\d+):(.*)$/s.exec(specifier) : null;
      const parent = context.parentURL === undefined ? undefined : untag(context.parentURL);
      const resolved = next(entry ? entry[2]! : specifier, parent ? { ...context, parentURL: parent.url } : context);
      const parentFile = parent?.url.startsWith("file:") ? fileURLToPath(parent.url) : undefined;
      const tracked = parentFile !== undefined && localImports.has(parentFile);
      if (!isLocalFile(resolved.url) || !(entry || tracked)) return resolved;
      const file = fileURLToPath(resolved.url);
      if (tracked) localImports.get(parentFile)!.add(file);
      if (!localImports.has(file)) localImports.set(file, new Set());
      const generation = entry ? Number(entry[1]) : parent!.generation;
      return generation === 0 ? resolved : { ...resolved, url: tag(resolved.url, generation), shortCircuit: true };
    },
    load(url, context, next) {
      const { url: real, generation } = untag(url);
      return next(generation === 0 ? url : real, context);
    },
  });
}

/** What require() is given to load `path` for a config of this generation (0: the first load, untagged). */
export function moduleSpecifier(path: string, generation: number): string {
  ensureHooks();
  if (generation > 0) forgetCommonJs(require.cache);
  return `${PREFIX}${generation}:${path}`;
}

/**
 * CommonJS resolves a relative require() from a cache keyed by the importing
 * file's directory, which every generation shares, and finds the previous
 * generation's file there unless it is gone from require.cache. Users' local
 * files go; what already holds them keeps them.
 */
function forgetCommonJs(cache: NodeJS.Require["cache"]): void {
  for (const key of Object.keys(cache)) {
    if (localImports.has(fileURLToPath(untag(pathToFileURL(key).href).url))) delete cache[key];
  }
}

/** The module file and every local file it imports, directly or not, as far as loading them has shown. */
export function localFilesOf(path: string): string[] {
  const seen = new Set<string>([path]);
  const queue = [path];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const child of localImports.get(file) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
    }
  }
  return [...seen];
}

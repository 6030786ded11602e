// The harnesses (e2e, reliability, bench) run podgate as it is deployed: from
// the build in dist/ (no type stripping, ~28 MB less memory). They rebuild it
// first — incremental tsc, about a second when nothing changed — so they never
// run code older than the sources.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../../src/package-root.ts";

const ROOT = PACKAGE_ROOT.pathname;
/** The repository's root (no trailing slash). */
export const REPO = resolve(ROOT);
const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");

/** podgate's command, as the Dockerfile and npm start run it (bin/ picks the build). */
export const PODGATE_BIN = join(ROOT, "bin/podgate.js");

/** The built twin of a source file under the package root: dist/<path>.js. */
export const built = (sourcePath: string): string => join(ROOT, "dist", sourcePath.slice(ROOT.length).replace(/\.ts$/, ".js"));

let builtInThisProcess = false;

/** Once per process: the sources do not change while a harness runs, and every podgate it starts reuses the build. */
export function buildPodgate(): void {
  if (builtInThisProcess) return;
  execFileSync(process.execPath, [TSC, "-p", join(ROOT, "tsconfig.harness.json")], { cwd: ROOT, stdio: "inherit" });
  builtInThisProcess = true;
}

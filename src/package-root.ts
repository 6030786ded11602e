// Files that ship beside the code (config/, policies/, schemas/,
// src/kube/models.json) are found from the package root, so one path works
// whether Node runs the TypeScript sources (src/…) or the build (dist/src/…).
import { existsSync } from "node:fs";

function packageRoot(from: URL): URL {
  for (let dir = new URL(".", from); ; dir = new URL("..", dir)) {
    if (existsSync(new URL("package.json", dir))) return dir;
    if (dir.pathname === "/") throw new Error(`no package.json above ${from.pathname}`);
  }
}

export const PACKAGE_ROOT = packageRoot(new URL(import.meta.url));

/** An absolute path for a path relative to the package root. */
export const packagePath = (relative: string): string => new URL(relative, PACKAGE_ROOT).pathname;

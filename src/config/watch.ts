// Noticing that the files a config was built from changed. Polled, not
// fs.watch'ed: a ConfigMap volume swaps a symlink (`..data`) under the files,
// editors replace files by rename, and both are missed or doubled by inotify
// on the file itself. stat() follows symlinks, so a swap changes the inode.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** One line per path: what stat says of it (a directory: of each entry too), or that it is missing. */
export function fingerprint(paths: readonly string[]): string {
  const describe = (path: string): string => {
    try {
      const stat = statSync(path);
      return `${path} ${stat.ino} ${stat.size} ${stat.mtimeMs}`;
    } catch (error) {
      return `${path} ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`;
    }
  };
  const lines: string[] = [];
  for (const path of [...new Set(paths)].sort()) {
    lines.push(describe(path));
    let entries: string[] = [];
    try {
      if (statSync(path).isDirectory()) entries = readdirSync(path).sort();
    } catch {
      // Already described as missing.
    }
    for (const entry of entries) lines.push(describe(join(path, entry)));
  }
  return lines.join("\n");
}

export interface FileWatch {
  /** Watch these paths from now on (a reload's config may name other files). */
  watch(paths: readonly string[]): void;
  stop(): void;
}

/**
 * Calls onChange once the paths have changed and then held still for one more
 * interval, so a file written in several steps is read once, whole.
 */
export function watchFiles(paths: readonly string[], intervalMs: number, onChange: () => void): FileWatch {
  let watched = [...paths];
  let settled = fingerprint(watched);
  let pending: string | undefined;
  const timer = setInterval(() => {
    const now = fingerprint(watched);
    if (now === settled) {
      pending = undefined;
      return;
    }
    if (now !== pending) {
      pending = now;
      return;
    }
    settled = now;
    pending = undefined;
    onChange();
  }, intervalMs);
  timer.unref();
  return {
    watch(next) {
      watched = [...next];
      settled = fingerprint(watched);
      pending = undefined;
    },
    stop: () => clearInterval(timer),
  };
}

// Progress on long runs, for people: a line on stderr rewritten in place, only
// when stdout is a terminal (piped output stays clean for scripts) and the run
// is long enough to wait for.
const MIN_ITEMS = 200;
const EVERY_MS = 200;

export interface Progress {
  /** `done` of `total` items finished. */
  readonly tick: (done: number, total: number) => void;
  /** Clears the line. */
  readonly end: () => void;
}

export function progressLine(what: string, interactive = process.stdout.isTTY === true, out: NodeJS.WritableStream = process.stderr): Progress {
  let last = -Infinity;
  let shown = false;
  return {
    tick: (done, total) => {
      if (!interactive || total < MIN_ITEMS) return;
      const now = performance.now();
      if (now - last < EVERY_MS && done < total) return;
      last = now;
      shown = true;
      out.write(`\r${what} ${done}/${total} (${Math.floor((done * 100) / total)}%)`);
    },
    end: () => {
      if (shown) out.write("\r\x1b[K");
    },
  };
}

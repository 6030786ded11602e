// The server's log: pino's JSON lines on stdout, gathered in a buffer. One
// write per line cost a review ~5 µs of main-thread CPU (a write request to
// the thread pool each; see docs/benchmarks.md); now lines go out when 32 KiB
// have gathered (~100 review lines: with 4 KiB the writes still took ~3 % of a
// busy server pinned to one core, each a hand-off to a thread-pool thread on
// that core), at least every 200 ms, and synchronously at exit (pino's exit
// hook) or when the server closes.
// Lines are handed over as Buffers (SonicBoom's buffer mode): in string mode
// SonicBoom measures the whole pending string's byte length on every write,
// which flattens it too, so a line cost ~6 µs with 32 KiB pending; ~1 µs now.
import type { FastifyBaseLogger } from "fastify";
import pino from "pino";

export const LOG_BUFFER_BYTES = 32 * 1024;
export const LOG_FLUSH_INTERVAL_MS = 200;

export interface ServerLogger {
  readonly logger: FastifyBaseLogger;
  /** Writes what is buffered and stops the flush timer. */
  close(): void;
}

export function serverLogger(level: string, fd = 1): ServerLogger {
  // SonicBoom requires minLength below maxWrite (16 KiB by default).
  const destination = pino.destination({ dest: fd, minLength: LOG_BUFFER_BYTES, maxWrite: 2 * LOG_BUFFER_BYTES, sync: false, contentMode: "buffer" });
  const timer = setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  // pino writes strings; the type says string, buffer mode takes a Buffer.
  const lines = { write: (line: string) => destination.write(Buffer.from(line) as unknown as string) };
  return {
    logger: pino({ level }, lines),
    close() {
      clearInterval(timer);
      destination.flushSync();
    },
  };
}

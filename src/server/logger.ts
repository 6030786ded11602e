// The server's log: pino's JSON lines on stdout, gathered in a buffer. One
// write per line cost a review ~5 µs of main-thread CPU (a write request to
// the thread pool each; see docs/benchmarks.md); now lines go out when 4 KiB
// have gathered, at least every 200 ms, and synchronously at exit (pino's
// exit hook) or when the server closes.
import type { FastifyBaseLogger } from "fastify";
import pino from "pino";

export const LOG_BUFFER_BYTES = 4096;
export const LOG_FLUSH_INTERVAL_MS = 200;

export interface ServerLogger {
  readonly logger: FastifyBaseLogger;
  /** Writes what is buffered and stops the flush timer. */
  close(): void;
}

export function serverLogger(level: string, fd = 1): ServerLogger {
  const destination = pino.destination({ dest: fd, minLength: LOG_BUFFER_BYTES, sync: false });
  const timer = setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS).unref();
  return {
    logger: pino({ level }, destination),
    close() {
      clearInterval(timer);
      destination.flushSync();
    },
  };
}

// The server's log: pino's JSON lines on stdout, gathered in a buffer, since
// each write is a hand-off to the thread pool that a busy server pays on its
// main thread (figures in docs/benchmarks.md). Lines go out when 32 KiB have
// gathered, at least every 200 ms, and synchronously at exit (pino's exit
// hook) or when the server closes. They are handed over as Buffers
// (SonicBoom's buffer mode): in string mode SonicBoom measures the whole
// pending string's byte length on every write.
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

// A small keep-alive HTTPS load generator. Each connection carries one request
// at a time (as kube-apiserver does). Closed loop (no rate): every connection
// sends its next operation as soon as the last one is answered — the maximum
// throughput. Open loop (rate): operations are due at fixed intervals whatever
// the server does, and latency counts from the due time, so a stalled server
// shows up as latency instead of silently lowering the load (coordinated
// omission). Bounded by duration and operation count; loopback only.
import { connect, type TLSSocket } from "node:tls";
import { z } from "zod";
import { summarise, type Percentiles } from "../stats.ts";
import { ReplyParser, requestBytes, type Reply } from "./http1.ts";

export const loadJob = z.strictObject({
  // A benchmark must never load anything but this machine.
  host: z.literal("127.0.0.1"),
  port: z.number().int().min(1).max(65535),
  /** PEM of the CA the server's certificate chains to. */
  ca: z.string().min(1),
  /** One operation: these requests in order on one connection (e.g. /mutate then /validate). */
  steps: z.array(z.strictObject({ path: z.string().startsWith("/"), body: z.string() })).min(1),
  connections: z.number().int().min(1).max(256),
  /** Operations per second (open loop); absent: as fast as replies come (closed loop). */
  rate: z.number().positive().optional(),
  durationMs: z.number().int().min(50).max(120_000),
  /** Load applied but not recorded first, on the same connections: JIT, TLS buffers and pools settle. */
  warmupMs: z.number().int().min(0).max(60_000).default(0),
  maxOps: z.number().int().min(1).max(5_000_000),
  /** How long operations in flight at the end may take before they count as errors. */
  drainMs: z.number().int().min(0).max(60_000).default(5_000),
});
export type LoadJob = z.input<typeof loadJob>;

export interface LoadResult {
  /** Operations due after the warm-up whose every step was answered 200. */
  readonly ops: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** Open loop: operations due but never sent because every connection was busy at the end. */
  readonly unsent: number;
  readonly elapsedMs: number;
  /** Completed operations per second. */
  readonly throughput: number;
  readonly offeredRate?: number;
  /** Milliseconds per operation. */
  readonly latency: Percentiles;
}

interface Operation {
  readonly due: number;
}

class Connection {
  readonly #socket: TLSSocket;
  readonly #parser = new ReplyParser();
  #step = 0;
  #operation: Operation | undefined;
  #onDone: ((error: string | undefined, operation: Operation) => void) | undefined;
  readonly #requests: readonly Buffer[];

  private constructor(socket: TLSSocket, requests: readonly Buffer[]) {
    this.#socket = socket;
    this.#requests = requests;
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      let replies: Reply[];
      try {
        replies = this.#parser.push(chunk);
      } catch (error) {
        this.#fail((error as Error).message);
        return;
      }
      for (const reply of replies) this.#reply(reply);
    });
    socket.on("error", (error) => this.#fail(error.message));
    socket.on("close", () => this.#fail("connection closed by the server"));
  }

  static open(job: z.output<typeof loadJob>, requests: readonly Buffer[]): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: job.host, port: job.port, ca: job.ca }, () => resolve(new Connection(socket, requests)));
      socket.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.#socket.destroyed;
  }

  send(operation: Operation, onDone: (error: string | undefined, operation: Operation) => void): void {
    this.#operation = operation;
    this.#onDone = onDone;
    this.#step = 0;
    this.#socket.write(this.#requests[0]!);
  }

  close(): void {
    this.#onDone = undefined;
    this.#socket.destroy();
  }

  #reply(reply: Reply): void {
    if (reply.status !== 200) return this.#finish(`status ${reply.status}: ${reply.body.toString("utf8", 0, Math.min(200, reply.body.length))}`);
    this.#step += 1;
    if (this.#step < this.#requests.length) this.#socket.write(this.#requests[this.#step]!);
    else this.#finish(undefined);
  }

  #fail(message: string): void {
    this.#socket.destroy();
    this.#finish(message);
  }

  #finish(error: string | undefined): void {
    const done = this.#onDone;
    const operation = this.#operation;
    this.#onDone = undefined;
    this.#operation = undefined;
    if (done && operation) done(error, operation);
  }
}

export async function runLoad(input: LoadJob): Promise<LoadResult> {
  const job = loadJob.parse(input);
  const requests = job.steps.map((s) => requestBytes(job.host, job.port, s.path, Buffer.from(s.body)));
  let connections = await Promise.all(Array.from({ length: job.connections }, () => Connection.open(job, requests)));
  const latencies = new Float64Array(job.maxOps);
  const errorSamples: string[] = [];
  const queue: Operation[] = [];
  let idle: Connection[] = [];
  let ops = 0;
  let errors = 0;
  let issued = 0;
  let inFlight = 0;
  let lastDone = 0;
  let warmupErrors = 0;
  let stopped = false;
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const deadline = measureFrom + job.durationMs;
  // Open loop: the warm-up's operations come on top of the measured ones.
  const maxOps = job.maxOps + Math.ceil(((job.rate ?? 0) * job.warmupMs) / 1000);
  let measured = 0;
  let settle: () => void = () => {};
  const settled = new Promise<void>((resolve) => (settle = resolve));

  const dispatch = (connection: Connection, operation: Operation) => {
    inFlight += 1;
    connection.send(operation, (error, op) => done(connection, error, op));
  };
  const next = (connection: Connection) => {
    if (stopped || connection.closed) return;
    if (job.rate === undefined) {
      const now = performance.now();
      if (now >= deadline || measured >= job.maxOps) return stop();
      if (now >= measureFrom) measured += 1;
      dispatch(connection, { due: now });
    } else if (queue.length > 0) dispatch(connection, queue.shift()!);
    else idle.push(connection);
  };
  const done = (connection: Connection, error: string | undefined, operation: Operation) => {
    inFlight -= 1;
    const now = performance.now();
    if (operation.due < measureFrom) {
      if (error !== undefined) warmupErrors += 1;
    } else if (error === undefined) {
      lastDone = now;
      if (ops < latencies.length) latencies[ops++] = now - operation.due;
    } else {
      errors += 1;
      if (errorSamples.length < 5) errorSamples.push(error);
    }
    if (connection.closed) {
      // Replace a lost connection so the offered load stays the same.
      connections = connections.filter((c) => c !== connection);
      if (!stopped) {
        void Connection.open(job, requests).then(
          (fresh) => {
            connections.push(fresh);
            next(fresh);
          },
          (reason: Error) => {
            errors += 1;
            if (errorSamples.length < 5) errorSamples.push(`reconnect failed: ${reason.message}`);
          },
        );
      }
    } else next(connection);
    if (stopped && inFlight === 0) settle();
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (inFlight === 0) settle();
  };
  // Open loop: release every operation that is due. setImmediate keeps arrivals on
  // time (a 1 ms timer would send them in bursts); the generator has its own core.
  const pace = () => {
    const now = performance.now();
    const due = Math.min(maxOps, Math.floor(((Math.min(now, deadline) - start) * job.rate!) / 1000));
    while (issued < due) {
      const operation = { due: start + (issued * 1000) / job.rate! };
      issued += 1;
      const connection = idle.pop();
      if (connection) dispatch(connection, operation);
      else queue.push(operation);
    }
    if (now < deadline && issued < maxOps) setImmediate(pace);
    else stop();
  };

  if (job.rate === undefined) for (const connection of connections) next(connection);
  else {
    idle = [...connections];
    setImmediate(pace);
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, job.warmupMs + job.durationMs + job.drainMs).unref());
  await Promise.race([settled, timeout]);
  const unsent = queue.length;
  queue.length = 0;
  errors += inFlight;
  if (inFlight > 0 && errorSamples.length < 5) errorSamples.push(`${inFlight} operations unanswered ${job.drainMs} ms after the end`);
  for (const connection of connections) connection.close();
  if (warmupErrors > 0 && errorSamples.length < 5) errorSamples.push(`${warmupErrors} errors during the warm-up`);
  errors += warmupErrors;
  const elapsedMs = Math.max(lastDone, measureFrom) - measureFrom;
  return {
    ops,
    errors,
    errorSamples,
    unsent,
    elapsedMs,
    throughput: elapsedMs > 0 ? (ops * 1000) / elapsedMs : 0,
    ...(job.rate !== undefined ? { offeredRate: job.rate } : {}),
    latency: summarise(latencies.subarray(0, ops)),
  };
}

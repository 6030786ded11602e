// Drives hostile inputs at each endpoint and counts what went wrong: crashes
// (an unhandled rejection, an uncaught exception, a request that never got
// an HTTP reply), wrong replies (per the oracle), replies past the deadline,
// and heap growth across the run.
import { Agent } from "node:https";
import { call } from "../../src/harness/https.ts";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { hostileInputs, type FuzzInput } from "./inputs.ts";
import { judge, type Reply } from "./oracle.ts";
import type { Endpoint } from "./target.ts";

export type Send = (path: string, input: FuzzInput) => Promise<Reply>;

export function injectSender(app: FastifyInstance): Send {
  return async (path, input) => {
    const response = await app.inject({ method: "POST", url: path, payload: input.body, headers: { "content-type": input.contentType } });
    return { status: response.statusCode, text: response.body };
  };
}

/** Real HTTPS with keep-alive, like the apiserver's and the scheduler's clients. */
export function httpsSender(baseUrl: string, ca: string): Send & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 8, ca });
  const send = async (path: string, input: FuzzInput): Promise<Reply> => {
    const { status, text } = await call(new URL(path, baseUrl).href, { method: "POST", agent, ca, headers: { "content-type": input.contentType }, body: input.body });
    return { status, text };
  };
  return Object.assign(send, { close: () => agent.destroy() });
}

export interface Failure {
  readonly label: string;
  readonly why: string;
  readonly body: string;
}

export interface EndpointFigures {
  readonly path: string;
  inputs: number;
  crashes: number;
  wrong: number;
  /** Replies slower than the caller's timeout. */
  late: number;
  maxMs: number;
  readonly statuses: Record<string, number>;
  readonly byLabel: Record<string, number>;
  readonly failures: Failure[];
}

let gc: (() => void) | undefined;
/** Heap in use after a full collection, so growth means retained memory, not garbage. */
export function settledHeap(): number {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
  return process.memoryUsage().heapUsed;
}

/** Counts process-level faults for as long as it is installed. */
export function trapFaults() {
  const faults: string[] = [];
  const onRejection = (reason: unknown) => faults.push(`unhandled rejection: ${String(reason)}`);
  const onException = (error: Error) => faults.push(`uncaught exception: ${error.message}`);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    faults,
    remove() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
    },
  };
}

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  readonly onProgress?: (figures: EndpointFigures) => void;
}

const BATCH = 500;

export async function fuzzEndpoint(endpoint: Endpoint, send: Send, options: FuzzOptions): Promise<EndpointFigures> {
  const figures: EndpointFigures = { path: endpoint.path, inputs: 0, crashes: 0, wrong: 0, late: 0, maxMs: 0, statuses: {}, byLabel: {}, failures: [] };
  const record = (input: FuzzInput, why: string) => {
    if (figures.failures.length < 5) figures.failures.push({ label: input.label, why, body: input.body.subarray(0, 300).toString("utf8") });
  };
  const arbitrary = hostileInputs(endpoint.seeds);
  const one = async (input: FuzzInput) => {
    const started = performance.now();
    let reply: Reply;
    try {
      reply = await send(endpoint.path, input);
    } catch (error) {
      figures.crashes++;
      record(input, `no reply: ${(error as Error).message}`);
      return;
    }
    const ms = performance.now() - started;
    figures.maxMs = Math.max(figures.maxMs, ms);
    if (ms > endpoint.deadlineMs) {
      figures.late++;
      record(input, `took ${Math.round(ms)} ms, past the ${endpoint.deadlineMs} ms deadline`);
    }
    figures.statuses[reply.status] = (figures.statuses[reply.status] ?? 0) + 1;
    const why = judge(endpoint.kind, input, reply);
    if (why !== undefined) {
      if (reply.status >= 500) figures.crashes++;
      else figures.wrong++;
      record(input, why);
    }
  };
  for (let done = 0, batch = 0; done < options.cases; batch++) {
    const inputs = fc.sample(arbitrary, { numRuns: Math.min(BATCH, options.cases - done), seed: options.seed + batch });
    for (let i = 0; i < inputs.length; i += options.concurrency ?? 1) {
      await Promise.all(inputs.slice(i, i + (options.concurrency ?? 1)).map(one));
    }
    for (const input of inputs) figures.byLabel[input.label] = (figures.byLabel[input.label] ?? 0) + 1;
    done += inputs.length;
    figures.inputs = done;
    options.onProgress?.(figures);
  }
  return figures;
}

// One server under test, as a child process pinned to its own core: a bare
// node:https baseline, podgate's webhooks on a bare server, or podgate
// itself. Driven over IPC: start, usage (CPU time, memory and GC pauses, read
// inside the process), exit.
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { z } from "zod";
import type { AdmissionRequest } from "../../src/admission/review.ts";
import { TLS_FILES } from "../../src/server/tls.ts";

export const serverKinds = ["ceiling", "floor", "webhooks", "podgate"] as const;
export type ServerKind = (typeof serverKinds)[number];

export const serverCommand = z.union([
  z.strictObject({ start: z.strictObject({ kind: z.enum(serverKinds), tlsDir: z.string(), config: z.unknown().optional() }) }),
  z.strictObject({ usage: z.literal(true) }),
  z.strictObject({ exit: z.literal(true) }),
]);
export type ServerCommand = z.infer<typeof serverCommand>;

export interface Usage {
  readonly cpuUs: number;
  readonly rssBytes: number;
  readonly maxRssBytes: number;
  /** Time in GC pauses since start (ms). */
  readonly gcMs: number;
  /** The longest single GC pause since the previous usage answer (ms): the main thread stood still that long. */
  readonly gcLongestMs: number;
}

// GC pauses as Node reports them (perf_hooks "gc" entries: one per scavenge, mark-compact or incremental step).
let gcMs = 0;
let gcLongestMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcMs += entry.duration;
    gcLongestMs = Math.max(gcLongestMs, entry.duration);
  }
}).observe({ entryTypes: ["gc"] });

const CEILING_REPLY = Buffer.from('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"","allowed":true}}');

/** The ceiling: drain the body, answer a constant. Nothing can be cheaper on this stack. */
function ceiling(request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json", "content-length": CEILING_REPLY.length });
    response.end(CEILING_REPLY);
  });
}

type Answer = (review: { request: AdmissionRequest }, path: string) => unknown;

/** A bare JSON server: collect the body, JSON.parse it, reply what `answer` makes of it. */
function jsonHandler(answer: Answer) {
  return (request: import("node:http").IncomingMessage, response: import("node:http").ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { request: AdmissionRequest };
      const send = (reply: unknown) => {
        const body = Buffer.from(JSON.stringify(reply));
        response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
        response.end(body);
      };
      // The floor answers in the same tick, as it always has; only the webhook runs wait.
      const reply = answer(review, request.url ?? "/");
      if (reply instanceof Promise) {
        // A run that fails answers 500, which the load generator counts as an error, instead of ending the child.
        void reply.then(send, (error: unknown) => {
          response.writeHead(500, { "content-type": "text/plain" });
          response.end(String(error));
        });
      } else send(reply);
    });
  };
}

/** An AdmissionReview reply around `response` (spelt out: importing review.ts would load zod into the baselines). */
const reviewReply = (response: unknown) => ({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response });

/** The protocol floor: parse the review and echo its uid — work no webhook can skip. */
const floor: Answer = (review) => reviewReply({ uid: review.request.uid, allowed: true });

/**
 * podgate's webhooks with none of its server: the floor's work, then the
 * mutating or validating run (by path) and its response. No body checks, no
 * review validation, no log line, no metrics: the most any server around
 * these webhooks could reach, so the distance to podgate is its framework's.
 */
async function webhooksAlone(raw: unknown): Promise<Answer> {
  const [{ registry }, { buildConfig }, { runMutating, runValidating }] = await Promise.all([import("../../src/wiring.ts"), import("../../src/config/load.ts"), import("../../src/admission/run.ts")]);
  const config = buildConfig(raw ?? {}, registry, "(bench config)");
  return async (review, path) => {
    const run = path.startsWith("/mutate") ? runMutating(config.mutating, review.request) : runValidating(config.validating, review.request);
    return reviewReply((await run).response);
  };
}

async function bare(kind: "ceiling" | "floor" | "webhooks", tlsDir: string, config: unknown): Promise<{ port: number; close(): Promise<void> }> {
  const [cert, key] = await Promise.all([readFile(join(tlsDir, TLS_FILES.cert), "utf8"), readFile(join(tlsDir, TLS_FILES.key), "utf8")]);
  const handler = kind === "ceiling" ? ceiling : jsonHandler(kind === "floor" ? floor : await webhooksAlone(config));
  const server: Server = createServer({ cert, key, minVersion: "TLSv1.2", keepAliveTimeout: 75_000 }, handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (!address || typeof address !== "object") throw new Error("no listening address");
  return { port: address.port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function podgate(tlsDir: string, raw: unknown): Promise<{ port: number; close(): Promise<void> }> {
  // Loaded only here, so the bare baselines' memory is node's alone.
  const [{ extensionsFor, registry }, { buildConfig }, { startServer }] = await Promise.all([import("../../src/wiring.ts"), import("../../src/config/load.ts"), import("../../src/server/serve.ts")]);
  const base = (raw ?? {}) as Record<string, unknown>;
  const serverSection = (base["server"] ?? {}) as Record<string, unknown>;
  const config = buildConfig({ ...base, server: { ...serverSection, host: "127.0.0.1", port: 0, tlsDir, metrics: { host: "127.0.0.1", port: 0 } } }, registry, "(bench config)");
  const running = await startServer(config, extensionsFor(config));
  return { port: Number(new URL(running.url).port), close: () => running.close() };
}

let running: { port: number; close(): Promise<void> } | undefined;

process.on("message", (message: unknown) => {
  const command = serverCommand.safeParse(message);
  if (!command.success) {
    process.send!({ error: `bad server command: ${command.error.message}` });
    return;
  }
  const c = command.data;
  if ("start" in c) {
    const { kind, tlsDir, config } = c.start;
    (kind === "podgate" ? podgate(tlsDir, config) : bare(kind, tlsDir, config)).then(
      (server) => {
        running = server;
        process.send!({ ready: { port: server.port } });
      },
      (error: unknown) => process.send!({ error: (error as Error).message }),
    );
  } else if ("usage" in c) {
    const cpu = process.cpuUsage();
    const usage: Usage = { cpuUs: cpu.user + cpu.system, rssBytes: process.memoryUsage.rss(), maxRssBytes: process.resourceUsage().maxRSS * 1024, gcMs, gcLongestMs };
    gcLongestMs = 0;
    process.send!({ usage });
  } else {
    // A clean exit, so --cpu-prof writes its profile.
    void (running?.close() ?? Promise.resolve()).finally(() => process.exit(0));
  }
});

// A bounded load generator on loopback: N workers over keep-alive HTTPS (or a
// fresh TLS handshake per request), stopping at a request count, a time limit
// or when told to; every outcome and latency recorded.
import { Agent } from "node:https";
import { call } from "../../src/harness/https.ts";

export interface Call {
  readonly path: string;
  readonly body: string;
}

export interface LoadOptions {
  readonly url: string;
  readonly ca: string;
  readonly concurrency: number;
  readonly durationMs: number;
  readonly maxRequests?: number;
  /** Requests per second across all workers; unpaced when absent. */
  readonly rate?: number;
  /** A new connection (and TLS handshake) for every request. */
  readonly fresh?: boolean;
  readonly calls: readonly Call[];
  /** Checked before each request: a client that learns the server is going away stops sending. */
  readonly stopSending?: () => boolean;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  readonly errors: Record<string, number>;
  /** [start time ms since the run began, latency ms] of each successful request. */
  readonly samples: [number, number][];
  /** Distinct serving certificates seen (fingerprints), for rotation. */
  readonly certificates: Set<string>;
  durationMs: number;
}

async function once(options: LoadOptions, agent: Agent | undefined, request: Call): Promise<{ status: number; fingerprint?: string }> {
  const reply = await call(new URL(request.path, options.url).href, { method: "POST", ...(agent ? { agent } : {}), ca: options.ca, body: request.body, timeoutMs: 15_000 });
  const fingerprint = reply.peerCertificate?.fingerprint256;
  return { status: reply.status, ...(fingerprint ? { fingerprint } : {}) };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = options.fresh ? undefined : new Agent({ keepAlive: true, maxSockets: options.concurrency, ca: options.ca });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, errors: {}, samples: [], certificates: new Set(), durationMs: 0 };
  const started = performance.now();
  const deadline = started + options.durationMs;
  const interval = options.rate ? (1000 * options.concurrency) / options.rate : 0;
  const more = () => performance.now() < deadline && (options.maxRequests === undefined || result.sent < options.maxRequests) && !options.stopSending?.();
  const worker = async (index: number) => {
    let next = started + (interval * index) / options.concurrency;
    while (more()) {
      if (interval > 0) {
        const wait = Math.min(next, deadline) - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next += interval;
        if (!more()) break;
      }
      const call = options.calls[result.sent % options.calls.length]!;
      result.sent++;
      const begun = performance.now();
      try {
        const { status, fingerprint } = await once(options, agent, call);
        if (fingerprint) result.certificates.add(fingerprint);
        if (status === 200) {
          result.ok++;
          result.samples.push([begun - started, performance.now() - begun]);
        } else {
          result.failed++;
          result.errors[`HTTP ${status}`] = (result.errors[`HTTP ${status}`] ?? 0) + 1;
        }
      } catch (error) {
        result.failed++;
        const key = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        result.errors[key] = (result.errors[key] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  result.durationMs = performance.now() - started;
  if (agent) agent.destroy();
  return result;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// Process plumbing for the admission bench: a pinned server child, a pinned
// load-generator child per run, and single probe requests that check every
// scenario answers what it should before it is timed.
import { post } from "../../src/harness/https.ts";
import type { ChildProcess } from "node:child_process";
import { applyPatch, type PatchOperation } from "../../src/admission/patch.ts";
import type { KubeObject } from "../../src/admission/review.ts";
import type { LoadJob, LoadResult } from "../load/client.ts";
import { nextMessage, spawnNode, type Pinning } from "../pin.ts";
import type { ServerCommand, ServerKind, Usage } from "./server.ts";
import { SERVE_NODE_FLAGS } from "../../src/server/node-flags.ts";
import { built } from "../../test/support/build.ts";

// Built (bench/run.ts builds first): a server child that ran TypeScript would carry type stripping's ~28 MB in every RSS figure.
const SERVER_SCRIPT = built(new URL("./server.ts", import.meta.url).pathname);
const WORKER_SCRIPT = new URL("../load/worker.ts", import.meta.url).pathname;
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

export interface ServerUnderTest {
  readonly port: number;
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

function reply<T>(message: unknown, key: string): T {
  const m = message as Record<string, unknown>;
  if (typeof m["error"] === "string") throw new Error(m["error"]);
  if (!(key in m)) throw new Error(`unexpected message: ${JSON.stringify(message).slice(0, 200)}`);
  return m[key] as T;
}

/** The baselines run on Node's defaults; podgate, and its webhooks alone, with podgate's serve flags. */
const nodeFlagsFor = (kind: ServerKind): readonly string[] => (kind === "floor" || kind === "ceiling" ? [] : SERVE_NODE_FLAGS);

export async function startServerChild(pinning: Pinning, start: Extract<ServerCommand, { start: unknown }>["start"], extraNodeFlags: readonly string[] = []): Promise<ServerUnderTest> {
  const child: ChildProcess = spawnNode(pinning, SERVER_CORE, SERVER_SCRIPT, [], [...nodeFlagsFor(start.kind), ...extraNodeFlags]);
  const ask = async <T>(command: ServerCommand, key: string, timeoutMs = 30_000): Promise<T> => {
    const answer = nextMessage(child, timeoutMs);
    child.send(command);
    return reply<T>(await answer, key);
  };
  try {
    const { port } = await ask<{ port: number }>({ start }, "ready");
    return {
      port,
      usage: () => ask<Usage>({ usage: true }, "usage"),
      stop: async () => {
        const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));
        child.send({ exit: true } satisfies ServerCommand);
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      },
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}

/** One bounded load run in a pinned child. */
export async function runLoadChild(pinning: Pinning, job: LoadJob): Promise<LoadResult> {
  const child = spawnNode(pinning, LOAD_CORE, WORKER_SCRIPT);
  const answer = nextMessage(child, job.durationMs + (job.drainMs ?? 5_000) + 30_000);
  child.send(job);
  try {
    return reply<LoadResult>(await answer, "result");
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

export interface Probe {
  readonly status: number;
  readonly body: unknown;
}

export async function probe(port: number, ca: string, path: string, body: string): Promise<Probe> {
  const reply = await post(`https://127.0.0.1:${port}${path}`, ca, body, { timeoutMs: 10_000 });
  if (reply.json === undefined) throw new Error(`${path}: reply is not JSON: ${reply.text.slice(0, 200)}`);
  return { status: reply.status, body: reply.json as unknown };
}

export interface StepCheck {
  readonly path: string;
  readonly allowed: boolean;
  readonly patchOperations: number;
  readonly warnings: number;
  readonly message?: string;
}

interface ReviewResponse {
  response?: { uid?: string; allowed?: boolean; patch?: string; warnings?: string[]; status?: { message?: string } };
}

/** What one step's reply says; throws unless it is a 200 AdmissionReview for this uid. */
export function readReply(path: string, uid: string, answer: Probe): StepCheck & { patch?: PatchOperation[] } {
  const response = (answer.body as ReviewResponse).response;
  if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  // The bare baselines answer a constant without a uid; everything else must echo it.
  if (response?.uid !== uid && response?.uid !== "") throw new Error(`${path}: reply uid ${String(response?.uid)} is not the request's ${uid}`);
  const patch = response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as PatchOperation[]) : undefined;
  return {
    path,
    allowed: response.allowed === true,
    patchOperations: patch?.length ?? 0,
    warnings: response.warnings?.length ?? 0,
    ...(response.status?.message ? { message: response.status.message } : {}),
    ...(patch ? { patch } : {}),
  };
}

/** The review as the apiserver would send it to validating webhooks after this patch. */
export function patchedReview(reviewText: string, patch: readonly PatchOperation[]): string {
  const review = JSON.parse(reviewText) as { request: { object: KubeObject } };
  return JSON.stringify({ ...review, request: { ...review.request, object: applyPatch(review.request.object, patch) } });
}

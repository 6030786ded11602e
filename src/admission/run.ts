// Runs webhooks for one review: deadlines, failure policies, and combining
// their decisions into one AdmissionResponse. No HTTP here.
import type { AdmissionHandler, Decision } from "./handler.ts";
import { cloneObject, diffPatch, encodePatch } from "./patch.ts";
import type { AdmissionRequest, AdmissionResponse, KubeObject } from "./review.ts";

export type Outcome = "allowed" | "patched" | "denied" | "failed_open" | "failed_closed";

export interface WebhookResult {
  readonly webhook: string;
  readonly outcome: Outcome;
  readonly durationMs: number;
  readonly error?: string;
}

export interface RunResult {
  readonly response: AdmissionResponse;
  readonly results: readonly WebhookResult[];
}

/** The handler must answer before the apiserver gives up on the webhook, with room for the network. */
export function deadlineMs(timeoutSeconds: number): number {
  const budget = timeoutSeconds * 1000;
  return Math.max(100, budget - Math.min(1000, budget * 0.2));
}

class DeadlineExceeded extends Error {}

/** What the server knows about a review besides the review itself: its Namespace, when Namespaces are watched. */
export interface Known {
  readonly namespaceObject?: KubeObject | null;
}

interface Invocation {
  decision?: Decision;
  error?: string;
  durationMs: number;
}

const isThenable = (value: unknown): value is PromiseLike<Decision> => typeof (value as { then?: unknown } | null)?.then === "function";

function failed(error: unknown, started: number): Invocation {
  const message = error instanceof Error ? error.message : String(error);
  return { error: message || "handler failed", durationMs: performance.now() - started };
}

/**
 * A handler that answers synchronously (the built-in ones do) cannot be cut
 * off by a timer, so it gets none: no timer, no race, and an AbortController
 * only if it reads its signal. One that returns a promise races its deadline.
 */
async function invoke(handler: AdmissionHandler, request: AdmissionRequest, known: Known): Promise<Invocation> {
  const started = performance.now();
  let controller: AbortController | undefined;
  const context = {
    get signal() {
      return (controller ??= new AbortController()).signal;
    },
    dryRun: request.dryRun === true,
    ...(known.namespaceObject === undefined ? {} : { namespaceObject: known.namespaceObject }),
  };
  let answer: Decision | Promise<Decision>;
  try {
    answer = handler.handle(request, context);
  } catch (error) {
    return failed(error, started);
  }
  if (!isThenable(answer)) return { decision: answer, durationMs: performance.now() - started };
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      (controller ??= new AbortController()).abort();
      reject(new DeadlineExceeded(`timed out after ${deadlineMs(handler.timeoutSeconds)} ms`));
    }, deadlineMs(handler.timeoutSeconds));
  });
  try {
    return { decision: await Promise.race([answer, expired]), durationMs: performance.now() - started };
  } catch (error) {
    return failed(error, started);
  } finally {
    clearTimeout(timer);
  }
}

/** A failed handler's verdict follows its failurePolicy. */
function failureDecision(handler: AdmissionHandler, error: string): { decision: Decision; outcome: Outcome } {
  const what = `podgate webhook "${handler.name}" failed: ${error}`;
  if (handler.failurePolicy === "Ignore") {
    return { decision: { allowed: true, warnings: [`${what} (ignored by failurePolicy)`] }, outcome: "failed_open" };
  }
  return { decision: { allowed: false, status: { code: 500, message: what, reason: "InternalError" } }, outcome: "failed_closed" };
}

function settle(handler: AdmissionHandler, invocation: Invocation, changed: (d: Decision) => boolean) {
  if (invocation.decision === undefined) return failureDecision(handler, invocation.error ?? "handler failed");
  const decision = invocation.decision;
  const outcome: Outcome = !decision.allowed ? "denied" : changed(decision) ? "patched" : "allowed";
  return { decision, outcome };
}

function respond(uid: string, decisions: readonly Decision[], patch?: string): AdmissionResponse {
  const denials = decisions.filter((d) => !d.allowed);
  const warnings = decisions.flatMap((d) => d.warnings ?? []);
  const auditAnnotations = Object.assign({}, ...decisions.map((d) => d.auditAnnotations ?? {})) as Record<string, string>;
  const response: AdmissionResponse = { uid, allowed: denials.length === 0 };
  if (denials.length > 0) {
    const first = denials[0]?.status;
    response.status = {
      code: first?.code ?? 403,
      message: denials.map((d) => d.status?.message ?? "denied").join("; "),
      ...(first?.reason ? { reason: first.reason } : {}),
    };
  } else if (patch !== undefined) {
    response.patch = patch;
    response.patchType = "JSONPatch";
  }
  if (warnings.length > 0) response.warnings = warnings;
  if (Object.keys(auditAnnotations).length > 0) response.auditAnnotations = auditAnnotations;
  return response;
}

/**
 * Runs mutating webhooks in order, each on the previous one's result, and
 * returns one combined patch. A denial (or a fail-closed failure) stops the chain.
 */
export async function runMutating(handlers: readonly AdmissionHandler[], request: AdmissionRequest, known: Known = {}): Promise<RunResult> {
  const original = request.object;
  let current: KubeObject | null | undefined = original;
  const decisions: Decision[] = [];
  const results: WebhookResult[] = [];
  for (const handler of handlers) {
    // Each handler edits its own copy, so a failed one leaves no half-made change behind.
    const input = current && handler.leavesInputIntact !== true ? cloneObject(current) : current;
    const invocation = await invoke(handler, { ...request, object: input }, known);
    const { decision, outcome } = settle(handler, invocation, (d) => d.object !== undefined && d.object !== current);
    decisions.push(decision);
    results.push({ webhook: handler.name, outcome, durationMs: invocation.durationMs, ...(invocation.error ? { error: invocation.error } : {}) });
    if (!decision.allowed) break;
    if (decision.object !== undefined) current = decision.object;
  }
  let patch: string | undefined;
  if (original && current && current !== original && decisions.every((d) => d.allowed)) {
    const operations = diffPatch(original, current);
    if (operations.length > 0) patch = encodePatch(operations);
  }
  return { response: respond(request.uid, decisions, patch), results: markUnchanged(results, patch) };
}

/** A mutator that returned an identical object made no patch: count it as allowed. */
function markUnchanged(results: WebhookResult[], patch: string | undefined): WebhookResult[] {
  return patch === undefined ? results.map((r) => (r.outcome === "patched" ? { ...r, outcome: "allowed" } : r)) : results;
}

/** Runs validating webhooks concurrently; every denial is reported, not just the first. */
export async function runValidating(handlers: readonly AdmissionHandler[], request: AdmissionRequest, known: Known = {}): Promise<RunResult> {
  const invocations = await Promise.all(handlers.map((handler) => invoke(handler, request, known)));
  const settled = handlers.map((handler, i) => settle(handler, invocations[i]!, () => false));
  const results = handlers.map((handler, i) => ({
    webhook: handler.name,
    outcome: settled[i]!.outcome,
    durationMs: invocations[i]!.durationMs,
    ...(invocations[i]!.error ? { error: invocations[i]!.error } : {}),
  }));
  return { response: respond(request.uid, settled.map((s) => s.decision)), results };
}

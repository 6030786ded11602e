// What both pod mutators do before deciding anything: pick out pod CREATEs and
// read the pod, turning a pod they cannot read into a report instead of a crash.
import { describeIssue, type AdmissionRequest } from "../../src/admission/review.ts";
import { pod, type Pod } from "./shape.ts";
import { fastPod } from "./shape-fast.ts";

/** kubectl prints warnings on one line each; longer ones are cut. */
export const MAX_WARNING = 120;

export function shortWarning(text: string): string {
  return text.length <= MAX_WARNING ? text : `${text.slice(0, MAX_WARNING - 1)}…`;
}

export type PodRequest = { readonly kind: "pod"; readonly pod: Pod } | { readonly kind: "ignore" } | { readonly kind: "unreadable"; readonly message: string };

/**
 * The last parse, kept: when a mutator passes the pod on unchanged (a pod that
 * asks for no sidecar), the next one reads the same object, parsed once. One
 * entry, not a WeakMap: V8 clears WeakMap entries only in full collections, so
 * every review's parse would outlive the young generation.
 * The parsed pod is shared, so mutators treat it as read-only (they do).
 */
let last: { readonly object: object; readonly parsed: ReturnType<typeof pod.safeParse> } | undefined;

function parsePod(object: unknown): ReturnType<typeof pod.safeParse> {
  if (typeof object !== "object" || object === null) return pod.safeParse(object);
  if (last?.object !== object) {
    const fast = fastPod(object);
    last = { object, parsed: fast ? { success: true, data: fast } : pod.safeParse(object) };
  }
  return last.parsed;
}

/**
 * Takes `value` as parsed, so the next mutator reading this very object skips
 * the parse. Only for a pod built from a parsed pod and parts that pass the
 * same schemas (shape.ts): parsing it would return it unchanged.
 */
export function rememberParsed(value: Pod): void {
  last = { object: value, parsed: { success: true, data: value } };
}

/**
 * Pod CREATEs only: on UPDATE a pod's spec is mostly immutable and was mutated
 * when it was created, and subresources (status, ephemeralcontainers) are not the pod.
 */
export function readPodCreate(request: AdmissionRequest): PodRequest {
  if (request.operation !== "CREATE" || request.kind.kind !== "Pod" || request.resource.resource !== "pods" || request.subResource) return { kind: "ignore" };
  const parsed = parsePod(request.object);
  if (parsed.success) return { kind: "pod", pod: parsed.data };
  const first = parsed.error.issues[0];
  return { kind: "unreadable", message: first ? describeIssue(first).message : "not a pod" };
}

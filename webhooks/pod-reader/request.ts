// What both pod mutators do before deciding anything: pick out pod CREATEs and
// read the pod, turning a pod they cannot read into a report instead of a crash.
import { type AdmissionRequest } from "../../src/admission/review.ts";
import { describeIssue } from "../../src/issues.ts";
import { pod, type Pod } from "./shape.ts";

/** kubectl prints warnings on one line each; longer ones are cut. */
export const MAX_WARNING = 120;

export function shortWarning(text: string): string {
  return text.length <= MAX_WARNING ? text : `${text.slice(0, MAX_WARNING - 1)}…`;
}

export type PodRequest = { readonly kind: "pod"; readonly pod: Pod } | { readonly kind: "ignore" } | { readonly kind: "unreadable"; readonly message: string };

/**
 * Pod CREATEs only: on UPDATE a pod's spec is mostly immutable and was mutated
 * when it was created, and subresources (status, ephemeralcontainers) are not the pod.
 */
export function readPodCreate(request: AdmissionRequest): PodRequest {
  if (request.operation !== "CREATE" || request.kind.kind !== "Pod" || request.resource.resource !== "pods" || request.subResource) return { kind: "ignore" };
  const parsed = pod.safeParse(request.object);
  if (parsed.success) return { kind: "pod", pod: parsed.data };
  const first = parsed.error.issues[0];
  return { kind: "unreadable", message: first ? describeIssue(first).message : "not a pod" };
}

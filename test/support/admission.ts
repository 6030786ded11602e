// Building AdmissionRequests for pods and running mutators as the apiserver would.
import { applyPatch, type PatchOperation } from "../../src/admission/patch.ts";
import type { AdmissionRequest, KubeObject, Operation } from "../../src/admission/review.ts";
import { runMutating } from "../../src/admission/run.ts";
import type { AdmissionHandler } from "../../src/admission/handler.ts";

export function podRequest(pod: KubeObject, options: { operation?: Operation; namespace?: string; oldObject?: KubeObject } = {}): AdmissionRequest {
  const metadata = (pod["metadata"] ?? {}) as { namespace?: string; name?: string };
  return {
    uid: "00000000-0000-0000-0000-000000000001",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    operation: options.operation ?? "CREATE",
    namespace: options.namespace ?? metadata.namespace ?? "default",
    ...(metadata.name ? { name: metadata.name } : {}),
    object: pod,
    ...(options.oldObject ? { oldObject: options.oldObject } : {}),
  };
}

/** The AdmissionReview the apiserver would send for the pod. */
export const podReview = (pod: KubeObject, options: Parameters<typeof podRequest>[1] = {}) => ({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: podRequest(pod, options) });

export interface Mutation {
  readonly patch: PatchOperation[];
  readonly result: KubeObject;
  readonly warnings: readonly string[];
  readonly auditAnnotations: Readonly<Record<string, string>>;
  readonly allowed: boolean;
}

/** Runs the chain, decodes the patch and applies it to the original, as kube-apiserver does. */
export async function mutatePod(handlers: readonly AdmissionHandler[], pod: KubeObject, options: Parameters<typeof podRequest>[1] = {}): Promise<Mutation> {
  const { response } = await runMutating(handlers, podRequest(structuredClone(pod), options));
  const patch = response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as PatchOperation[]) : [];
  return {
    patch,
    result: applyPatch(pod, patch),
    warnings: response.warnings ?? [],
    auditAnnotations: response.auditAnnotations ?? {},
    allowed: response.allowed,
  };
}

/** A validating webhook that allows after a delay: keeps a request in flight for reload and shutdown tests. */
export function slowValidator(delayMs: number): AdmissionHandler {
  return {
    name: "slow",
    kind: "validating",
    failurePolicy: "Fail",
    timeoutSeconds: 5,
    handle: () => new Promise((resolve) => setTimeout(() => resolve({ allowed: true }), delayMs)),
  };
}

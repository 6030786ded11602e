// The AdmissionReview v1 wire types, as kube-apiserver sends and decodes them
// (k8s.io/api/admission/v1). Types are derived from the schemas.
import { z } from "zod";
import { describeIssue } from "../issues.ts";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

const groupVersionKind = z.object({ group: z.string(), version: z.string(), kind: z.string().min(1) });
const groupVersionResource = z.object({ group: z.string(), version: z.string(), resource: z.string().min(1) });

/** Any JSON object; embedded Kubernetes objects are validated by the webhook that reads them. */
export const kubeObject = z.record(z.string(), z.unknown());
export type KubeObject = z.infer<typeof kubeObject>;

export const operation = z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]);
export type Operation = z.infer<typeof operation>;

export const userInfo = z.object({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
  extra: z.record(z.string(), z.array(z.string())).optional(),
});

export const admissionRequest = z.object({
  uid: z.string().min(1),
  kind: groupVersionKind,
  resource: groupVersionResource,
  subResource: z.string().optional(),
  requestKind: groupVersionKind.optional(),
  requestResource: groupVersionResource.optional(),
  requestSubResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation,
  userInfo: userInfo.optional(),
  object: kubeObject.nullable().optional(),
  oldObject: kubeObject.nullable().optional(),
  dryRun: z.boolean().optional(),
  options: kubeObject.nullable().optional(),
});
export type AdmissionRequest = z.infer<typeof admissionRequest>;

export const admissionReview = z.object({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal("AdmissionReview"),
  request: admissionRequest,
});
export type AdmissionReview = z.infer<typeof admissionReview>;

export const status = z.object({
  code: z.number().int().optional(),
  message: z.string().optional(),
  reason: z.string().optional(),
});

export const admissionResponse = z.object({
  uid: z.string(),
  allowed: z.boolean(),
  status: status.optional(),
  patch: z.string().optional(),
  patchType: z.literal("JSONPatch").optional(),
  auditAnnotations: z.record(z.string(), z.string()).optional(),
  warnings: z.array(z.string()).optional(),
});
export type AdmissionResponse = z.infer<typeof admissionResponse>;

export const admissionReviewResponse = z.object({
  apiVersion: z.literal(ADMISSION_API_VERSION),
  kind: z.literal("AdmissionReview"),
  response: admissionResponse,
});

export type ParsedReview =
  | { ok: true; review: AdmissionReview }
  | { ok: false; message: string; field: string; uid?: string };

/** Validates a decoded body as an AdmissionReview v1; a failure names the offending field. */
export function parseAdmissionReview(body: unknown): ParsedReview {
  const result = admissionReview.safeParse(body);
  if (result.success) return { ok: true, review: result.data };
  const first = result.error.issues[0];
  const described = first ? describeIssue(first) : { field: "(root)", message: "not an AdmissionReview" };
  const uid = uidOf(body);
  return { ok: false, ...described, ...(uid === undefined ? {} : { uid }) };
}

/** The request uid, if the body carries one, so even a rejected reply can echo it. */
export function uidOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const request = (body as { request?: unknown }).request;
  if (typeof request !== "object" || request === null) return undefined;
  const uid = (request as { uid?: unknown }).uid;
  return typeof uid === "string" && uid !== "" ? uid : undefined;
}

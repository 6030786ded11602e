// Test helpers: admission requests and policy documents with the boilerplate filled in.
import type { AdmissionRequest, KubeObject } from "../../../src/admission/review.ts";
import { policyDocument, type PolicyDocument } from "../../../webhooks/policy/schema.ts";

export function podRequest(spec: Record<string, unknown>, overrides: Partial<AdmissionRequest> = {}, metadata: Record<string, unknown> = {}): AdmissionRequest {
  const object: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default", ...metadata }, spec };
  return {
    uid: "u-1",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    name: "web",
    namespace: "default",
    operation: "CREATE",
    object,
    ...overrides,
  };
}

export function policy(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): PolicyDocument {
  return policyDocument.parse({
    apiVersion: "podgate.dev/v1alpha1",
    kind: "Policy",
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: {
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE", "UPDATE"] }] },
      ...spec,
    },
  });
}

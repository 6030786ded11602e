// The `defaults` webhook's settings: each default is its own switch.
import { z } from "zod";
import { quantity } from "../../src/resources.ts";
import { SYSTEM_NAMESPACES } from "../pod-reader/shape.ts";

const resourceList = z.record(z.string().min(1), quantity.transform(String));
const requestsAndLimits = z.strictObject({ requests: resourceList.default({}), limits: resourceList.default({}) });

export const defaultsSettings = z.strictObject({
  excludeNamespaces: z.array(z.string().min(1)).default(SYSTEM_NAMESPACES),
  /** Like a LimitRange's defaultRequest (requests) and default (limits), for every container and init container. */
  resources: z
    .strictObject({
      enabled: z.boolean().default(true),
      ...requestsAndLimits.shape,
      /** Per-namespace defaults, merged over the global ones resource by resource. */
      namespaces: z.record(z.string().min(1), requestsAndLimits).default({}),
    })
    .prefault({}),
  imagePullPolicy: z
    .strictObject({ enabled: z.boolean().default(true), policy: z.enum(["Always", "IfNotPresent", "Never"]).default("IfNotPresent") })
    .prefault({}),
  /** The Pod Security Standards "restricted" baseline: runAsNonRoot, RuntimeDefault seccomp, no privilege escalation, drop ALL. */
  securityContext: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  labels: z.strictObject({ enabled: z.boolean().default(true), values: z.record(z.string(), z.string()).default({}) }).prefault({}),
  annotations: z.strictObject({ enabled: z.boolean().default(true), values: z.record(z.string(), z.string()).default({}) }).prefault({}),
});
export type DefaultsSettings = z.infer<typeof defaultsSettings>;

export const FEATURES = ["resources", "imagePullPolicy", "securityContext", "labels", "annotations"] as const;
export type Feature = (typeof FEATURES)[number];

// The parts of a Pod the mutating webhooks read, as loose schemas: fields they
// do not know pass through untouched, so a newer apiserver's pod survives the edit.
import { z } from "zod";

const stringMap = z.record(z.string(), z.string());
export const named = z.looseObject({ name: z.string() });
export type Named = z.infer<typeof named>;

export const volumeMount = z.looseObject({ name: z.string(), mountPath: z.string() });

export const container = z.looseObject({
  name: z.string(),
  image: z.string().optional(),
  imagePullPolicy: z.string().optional(),
  restartPolicy: z.string().optional(),
  env: z.array(named).optional(),
  volumeMounts: z.array(volumeMount).optional(),
  resources: z
    .looseObject({ requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(), limits: z.record(z.string(), z.union([z.string(), z.number()])).optional() })
    .optional(),
  securityContext: z
    .looseObject({
      privileged: z.boolean().optional(),
      allowPrivilegeEscalation: z.boolean().optional(),
      runAsUser: z.number().optional(),
      runAsNonRoot: z.boolean().optional(),
      capabilities: z.looseObject({ add: z.array(z.string()).optional(), drop: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
});
export type Container = z.infer<typeof container>;

export const pod = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      namespace: z.string().optional(),
      labels: stringMap.optional(),
      annotations: stringMap.optional(),
    })
    .prefault({}),
  spec: z.looseObject({
    containers: z.array(container),
    initContainers: z.array(container).optional(),
    volumes: z.array(named).optional(),
    imagePullSecrets: z.array(named).optional(),
    hostNetwork: z.boolean().optional(),
    serviceAccountName: z.string().optional(),
    os: z.looseObject({ name: z.string() }).optional(),
    securityContext: z
      .looseObject({
        runAsUser: z.number().optional(),
        runAsNonRoot: z.boolean().optional(),
        seccompProfile: z.looseObject({ type: z.string() }).optional(),
      })
      .optional(),
  }),
});
export type Pod = z.infer<typeof pod>;

/** Namespaces both mutators leave alone unless configured otherwise. */
export const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];

/** The pod's namespace: its own, else the request's (objects being created may omit it). */
export function namespaceOf(value: Pod, requestNamespace: string | undefined): string {
  return value.metadata.namespace ?? requestNamespace ?? "default";
}

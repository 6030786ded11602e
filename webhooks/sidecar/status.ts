// sidecar.podgate.io/status: exactly what an injection added, so a second
// pass (reinvocation) recognises the pod and tools can see what is podgate's.
import { z } from "zod";

export const injectionStatus = z.strictObject({
  templates: z.array(z.string()),
  native: z.boolean(),
  containers: z.array(z.string()),
  initContainers: z.array(z.string()),
  volumes: z.array(z.string()),
  imagePullSecrets: z.array(z.string()),
  /** Per app container: the env vars and volume mounts added to it. */
  env: z.record(z.string(), z.array(z.string())),
  volumeMounts: z.record(z.string(), z.array(z.string())),
});
export type InjectionStatus = z.infer<typeof injectionStatus>;

// What the e2e suite knows about the cluster it runs against: written by the
// local harness (or by test/e2e/kind/run.sh) to a JSON file named by
// $PODGATE_E2E_ENV. Everything podgate-local is optional, so the same suite
// runs against kind, where podgate is a pod.
import { readFileSync } from "node:fs";
import { z } from "zod";

export const e2eEnvironment = z.strictObject({
  /** "local" (this harness) or "kind". */
  cluster: z.enum(["local", "kind"]),
  kubeconfig: z.string().min(1),
  /** The scheduler binds through podgate's extender (extender.bind.enabled). */
  bindThroughExtender: z.boolean(),
  /** The image the suite's pods run, when not registry.k8s.io/pause:3.10 (the offline kind run loads its own). */
  appImage: z.string().min(1).optional(),
  /** Present when podgate runs on this machine: its URL, CA, TLS dir, log file and metrics. */
  podgate: z
    .strictObject({
      url: z.url(),
      caFile: z.string().min(1),
      tlsDir: z.string().min(1),
      logFile: z.string().min(1),
      metricsUrl: z.url(),
    })
    .optional(),
  /** Present when a real kubelet + containerd node runs beside the kwok nodes (test/harness/realnode.ts). */
  realNode: z
    .strictObject({
      name: z.string().min(1),
      ip: z.string().min(1),
      subnet: z.string().min(1),
      /** host:port where pods reach the apiserver (a relay; its certificate names kubernetes.default.svc). */
      apiserver: z.string().min(1),
      /** podgate's own image is on the node (images.sh --podgate). */
      podgateImage: z.boolean(),
      taint: z.strictObject({ key: z.string(), value: z.string(), effect: z.string() }),
      label: z.strictObject({ key: z.string(), value: z.string() }),
      images: z.strictObject({ pause: z.string(), app: z.string(), logShipper: z.string() }),
    })
    .optional(),
});
export type E2eEnvironment = z.infer<typeof e2eEnvironment>;

export const ENV_VARIABLE = "PODGATE_E2E_ENV";

export function readEnvironment(path = process.env[ENV_VARIABLE]): E2eEnvironment {
  if (!path) throw new Error(`${ENV_VARIABLE} is not set: run the suite with \`npm run e2e\` (local control plane) or test/e2e/kind/run.sh`);
  const parsed = e2eEnvironment.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  return parsed.data;
}

// The KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) that
// points kube-scheduler at podgate, and the scheduler's own validation of
// the `extenders:` list (pkg/scheduler/apis/config/validation), so a bad
// config fails here and not when the scheduler starts.
import { z } from "zod";

export const SCHEDULER_CONFIG_API_VERSION = "kubescheduler.config.k8s.io/v1";

export const schedulerExtender = z.looseObject({
  urlPrefix: z.string().min(1),
  filterVerb: z.string().optional(),
  prioritizeVerb: z.string().optional(),
  preemptVerb: z.string().optional(),
  bindVerb: z.string().optional(),
  weight: z.number().int().optional(),
  enableHTTPS: z.boolean().optional(),
  tlsConfig: z.looseObject({ caData: z.string().optional(), caFile: z.string().optional(), insecure: z.boolean().optional() }).optional(),
  httpTimeout: z.string().optional(),
  nodeCacheCapable: z.boolean().optional(),
  managedResources: z.array(z.looseObject({ name: z.string(), ignoredByScheduler: z.boolean().optional() })).optional(),
  ignorable: z.boolean().optional(),
});
export type SchedulerExtender = z.infer<typeof schedulerExtender>;

export const kubeSchedulerConfiguration = z.looseObject({
  apiVersion: z.literal(SCHEDULER_CONFIG_API_VERSION),
  kind: z.literal("KubeSchedulerConfiguration"),
  profiles: z.array(z.looseObject({ schedulerName: z.string().optional() })).optional(),
  extenders: z.array(schedulerExtender).optional(),
});
export type KubeSchedulerConfiguration = z.infer<typeof kubeSchedulerConfiguration>;

export interface ExtenderProblem {
  /** From the configuration root, e.g. ["extenders", 0, "weight"]. */
  readonly path: (string | number)[];
  readonly message: string;
}

const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** An extended resource: domain-qualified, outside kubernetes.io, usable as a quota name (requests.<name>). */
export function extendedResourceProblem(name: string): string | undefined {
  if (!QUALIFIED_NAME.test(name)) return `"${name}" is not a qualified resource name (e.g. example.com/gpu)`;
  const slash = name.indexOf("/");
  if (slash < 0) return `"${name}" is not an extended resource name: it needs a domain prefix, e.g. example.com/${name}`;
  const domain = name.slice(0, slash);
  if (domain === "kubernetes.io" || domain.endsWith(".kubernetes.io")) return `"${name}" is in the kubernetes.io namespace, reserved for native resources`;
  if (!QUALIFIED_NAME.test(`requests.${name}`) || `requests.${name}`.split("/")[0]!.length > 253) return `"requests.${name}" is not a valid quota resource name`;
  return undefined;
}

/** kube-scheduler's checks on `extenders:` — positive weight to prioritize, at most one binder, valid unique managed resources. */
export function validateExtenders(extenders: readonly SchedulerExtender[]): ExtenderProblem[] {
  const problems: ExtenderProblem[] = [];
  const binders: number[] = [];
  const managed = new Set<string>();
  extenders.forEach((extender, i) => {
    if (extender.prioritizeVerb && (extender.weight ?? 0) <= 0) problems.push({ path: ["extenders", i, "weight"], message: `must be positive when prioritizing, got ${extender.weight ?? 0}` });
    if (extender.bindVerb) binders.push(i);
    (extender.managedResources ?? []).forEach((resource, j) => {
      const path = ["extenders", i, "managedResources", j, "name"];
      const problem = extendedResourceProblem(resource.name);
      if (problem) problems.push({ path, message: problem });
      if (managed.has(resource.name)) problems.push({ path, message: `duplicate managed resource "${resource.name}": another extender already manages it` });
      managed.add(resource.name);
    });
  });
  if (binders.length > 1) {
    problems.push({ path: ["extenders", binders[1]!, "bindVerb"], message: `only one extender may bind; extenders ${binders.join(", ")} all set bindVerb` });
  }
  return problems;
}

export interface SchedulerConfigOptions {
  readonly extender: SchedulerExtender;
  /** A second scheduler with this name (pods opt in with spec.schedulerName); absent: the default scheduler's config. */
  readonly profileName?: string | undefined;
  /** The scheduler's kubeconfig (clientConnection.kubeconfig). */
  readonly kubeconfig?: string | undefined;
  /** An existing configuration to add podgate's extender to. */
  readonly base?: KubeSchedulerConfiguration | undefined;
}

/**
 * Extenders apply to every profile of a scheduler, so a "podgate only for
 * some pods" setup is a second scheduler instance with its own name and
 * leader-election lock, not a second profile in the default scheduler.
 */
export function schedulerConfiguration(options: SchedulerConfigOptions): KubeSchedulerConfiguration {
  const base = options.base ?? { apiVersion: SCHEDULER_CONFIG_API_VERSION, kind: "KubeSchedulerConfiguration" };
  const second = options.profileName !== undefined;
  return {
    ...base,
    apiVersion: SCHEDULER_CONFIG_API_VERSION,
    kind: "KubeSchedulerConfiguration",
    ...(options.kubeconfig ? { clientConnection: { ...(base["clientConnection"] as object | undefined), kubeconfig: options.kubeconfig } } : {}),
    ...(second
      ? {
          leaderElection: { ...(base["leaderElection"] as object | undefined), leaderElect: true, resourceName: options.profileName, resourceNamespace: "kube-system" },
          profiles: [{ schedulerName: options.profileName }],
        }
      : { profiles: base.profiles ?? [{ schedulerName: "default-scheduler" }] }),
    extenders: [...(base.extenders ?? []), options.extender],
  };
}

// Kubernetes resource quantities and a pod's effective requests, as the
// scheduler counts them (k8s.io/component-helpers resource.PodRequests):
// containers + native sidecars, the largest init step, then pod overhead.
import { z } from "zod";

/** Resource name -> amount in base units (cores, bytes, count). */
export type Resources = Record<string, number>;

const SUFFIX: Readonly<Record<string, number>> = {
  n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** Parses a quantity ("100m", "1.5Gi", "2e3", 4) to base units; throws a RangeError naming the text otherwise. */
export function parseQuantity(quantity: string | number): number {
  if (typeof quantity === "number") {
    if (!Number.isFinite(quantity)) throw new RangeError(`not a quantity: ${quantity}`);
    return quantity;
  }
  const match = QUANTITY.exec(quantity.trim());
  if (!match) throw new RangeError(`not a quantity: "${quantity}" (expected e.g. 100m, 1.5, 512Mi, 1e3)`);
  const value = Number(match[1]);
  return match[2] ? value * 10 ** Number(match[2].slice(1)) : value * (SUFFIX[match[3] ?? ""] ?? 1);
}

/** Formats an amount for messages: cpu in millicores, bytes in Mi/Gi, the rest as is. */
export function formatQuantity(resource: string, amount: number): string {
  if (resource === "cpu") return `${Math.round(amount * 1000)}m`;
  if (resource === "memory" || resource === "ephemeral-storage" || resource.startsWith("hugepages-")) {
    return amount >= 2 ** 30 ? `${+(amount / 2 ** 30).toFixed(2)}Gi` : `${+(amount / 2 ** 20).toFixed(1)}Mi`;
  }
  return String(+amount.toFixed(3));
}

/** A quantity as it appears in JSON; the format is checked so a bad one is reported with its field. */
export const quantity = z.union([z.string().regex(QUANTITY, "expected a quantity, e.g. 100m, 1.5, 512Mi, 1e3"), z.number()]);
export const resourceList = z.record(z.string(), quantity);
const container = z.looseObject({
  name: z.string().optional(),
  restartPolicy: z.string().optional(),
  resources: z.looseObject({ requests: resourceList.nullish() }).nullish(),
});

/** The parts of a pod spec that decide its requests; other fields pass through untouched. */
export const podResourcesSpec = z.looseObject({
  containers: z.array(container).nullish(),
  initContainers: z.array(container).nullish(),
  overhead: resourceList.nullish(),
  /** Pod-level resources (PodLevelResources): they replace the containers' sum for the resources they name. */
  resources: z.looseObject({ requests: resourceList.nullish() }).nullish(),
});
export type PodResourcesSpec = z.infer<typeof podResourcesSpec>;

function toResources(list: Record<string, string | number> | null | undefined): Resources {
  const out: Resources = {};
  for (const [name, value] of Object.entries(list ?? {})) out[name] = parseQuantity(value);
  return out;
}

export function addTo(target: Resources, add: Resources): Resources {
  for (const [name, value] of Object.entries(add)) target[name] = (target[name] ?? 0) + value;
  return target;
}

function maxInto(target: Resources, other: Resources): void {
  for (const [name, value] of Object.entries(other)) if (value > (target[name] ?? 0)) target[name] = value;
}

export interface PodRequestsBreakdown {
  /** What the scheduler reserves for the pod. */
  readonly total: Resources;
  /** Regular containers plus native sidecars (init containers with restartPolicy Always). */
  readonly containers: Resources;
  /** Native sidecars alone: they run for the pod's whole life. */
  readonly sidecars: Resources;
  /** The largest init step (a regular init container plus the sidecars started before it). */
  readonly initPeak: Resources;
  readonly overhead: Resources;
}

/**
 * Effective requests of a pod spec. Quantities that do not parse throw a
 * RangeError naming the container and resource.
 */
export function podRequestsBreakdown(spec: PodResourcesSpec): PodRequestsBreakdown {
  const requestsOf = (c: z.infer<typeof container>, where: string) => {
    try {
      return toResources(c.resources?.requests);
    } catch (error) {
      throw new RangeError(`${where}${c.name ? ` "${c.name}"` : ""}: ${(error as Error).message}`, { cause: error });
    }
  };
  const containers: Resources = {};
  for (const c of spec.containers ?? []) addTo(containers, requestsOf(c, "container"));
  const sidecars: Resources = {};
  const initPeak: Resources = {};
  for (const c of spec.initContainers ?? []) {
    const requests = requestsOf(c, "initContainer");
    if (c.restartPolicy === "Always") {
      addTo(containers, requests);
      addTo(sidecars, requests);
      maxInto(initPeak, sidecars);
    } else {
      maxInto(initPeak, addTo({ ...requests }, sidecars));
    }
  }
  const total: Resources = { ...containers };
  maxInto(total, initPeak);
  const podLevel = toResources(spec.resources?.requests);
  for (const [name, value] of Object.entries(podLevel)) if (name === "cpu" || name === "memory") total[name] = value;
  const overhead = toResources(spec.overhead);
  addTo(total, overhead);
  return { total, containers, sidecars, initPeak, overhead };
}

/** What the scheduler reserves for a pod with this spec. */
export function podRequests(spec: PodResourcesSpec): Resources {
  return podRequestsBreakdown(spec).total;
}

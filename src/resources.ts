// Kubernetes resource quantities and a pod's effective requests, exactly as
// kube-scheduler computes them (k8s.io/component-helpers/resource PodRequests).
// Arithmetic is done in bigint nano-units so 100m + 200m is 300m, not 0.30000000000000004.
import { z } from "zod";

const NANO = 1_000_000_000n;

/** resource.Quantity suffixes as multipliers of one unit; "" is the plain number. */
const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
/** Decimal SI suffixes as powers of ten. */
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// <sign><digits>[.<digits>] or <sign>.<digits>, then a binary suffix, a decimal suffix, or e<exponent>.
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Exponents this large are not a resource anyone requests; refusing them keeps bigint math bounded. */
const MAX_EXPONENT = 60;

export class QuantityError extends Error {}

/** Values are echoed into replies and logs: a bounded prefix says which one without amplifying hostile input. */
function shown(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** a / b rounded away from zero, as resource.Quantity rounds values finer than a nano. */
function divideUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b === 0n ? q : a < 0n ? q - 1n : q + 1n;
}

/**
 * A quantity in exact nano-units ("100m" -> 100000000n, "1Ki" -> 1024000000000n).
 * Precision below a nano is rounded up, as kube-apiserver does.
 */
export function parseQuantityNanos(text: string): bigint {
  const match = QUANTITY.exec(text);
  const whole = match?.[2] ?? "";
  const fraction = match?.[3] ?? "";
  if (!match || (whole === "" && fraction === "")) {
    throw new QuantityError(`${shown(text)} is not a quantity (expected e.g. 100m, 0.5, 128Mi, 1G, 1e3)`);
  }
  const sign = match[1] === "-" ? -1n : 1n;
  const suffix = match[4] ?? "";
  // The digits as an integer scaled by 10^-fraction.length.
  const digits = BigInt(`${whole}${fraction}` || "0");
  let scale = -fraction.length;
  let multiplier = 1n;
  if (suffix in BINARY) multiplier = BINARY[suffix]!;
  else if (suffix in DECIMAL) scale += DECIMAL[suffix]!;
  else {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) > MAX_EXPONENT) throw new QuantityError(`${shown(text)}: exponent out of range`);
    scale += exponent;
  }
  // value = digits * multiplier * 10^scale; in nanos that is 10^(scale + 9).
  const nanoScale = scale + 9;
  const value = digits * multiplier;
  return sign * (nanoScale >= 0 ? value * pow10(nanoScale) : divideUp(value, pow10(-nanoScale)));
}

/** Nano-units back to a number of base units (cores, bytes). */
export function nanosToNumber(nanos: bigint): number {
  return Number(nanos / NANO) + Number(nanos % NANO) / 1e9;
}

/** A quantity as a number of base units: "100m" -> 0.1, "128Mi" -> 134217728, "1e3" -> 1000. */
export function parseQuantity(text: string | number): number {
  return nanosToNumber(parseQuantityNanos(String(text)));
}

/** Quantities arrive as strings, or as bare numbers when written unquoted in JSON. */
export const quantity = z.union([z.string(), z.number()]).superRefine((value, context) => {
  try {
    parseQuantityNanos(String(value));
  } catch (error) {
    context.addIssue({ code: "custom", message: (error as Error).message });
  }
});

const resourceList = z.record(z.string(), quantity);

const containerResources = z.object({
  name: z.string().optional(),
  restartPolicy: z.string().optional(),
  resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
});

/** The parts of a PodSpec that decide its requests; validate at the edge, then call podRequests. */
export const podSpecResources = z.object({
  containers: z.array(containerResources).optional(),
  initContainers: z.array(containerResources).optional(),
  overhead: resourceList.optional(),
  resources: z.object({ requests: resourceList.optional(), limits: resourceList.optional() }).optional(),
});
export type PodSpecResources = z.infer<typeof podSpecResources>;
type ContainerResources = z.infer<typeof containerResources>;

/** Exact requests by resource name, in nano-units. */
export type ResourceNanos = Map<string, bigint>;

/** Resources that pod-level `spec.resources` may set (PodLevelResources). */
const POD_LEVEL = new Set(["cpu", "memory"]);

function toNanos(list: Readonly<Record<string, string | number>> | undefined, at: string): ResourceNanos {
  const out: ResourceNanos = new Map();
  for (const [name, value] of Object.entries(list ?? {})) {
    try {
      out.set(name, parseQuantityNanos(String(value)));
    } catch (error) {
      throw new QuantityError(`${at}.${name}: ${(error as Error).message}`);
    }
  }
  return out;
}

/** apiserver defaulting copies a limit into a missing request; do the same for undefaulted pods. */
function containerRequests(container: ContainerResources, at: string): ResourceNanos {
  const limits = toNanos(container.resources?.limits, `${at}.resources.limits`);
  const requests = toNanos(container.resources?.requests, `${at}.resources.requests`);
  for (const [name, value] of limits) if (!requests.has(name)) requests.set(name, value);
  return requests;
}

function add(into: ResourceNanos, list: ResourceNanos): void {
  for (const [name, value] of list) into.set(name, (into.get(name) ?? 0n) + value);
}

function max(into: ResourceNanos, list: ResourceNanos): void {
  for (const [name, value] of list) {
    const current = into.get(name);
    if (current === undefined || value > current) into.set(name, value);
  }
}

/**
 * A pod's effective requests in exact nano-units: the sum of app containers and
 * native sidecars (init containers with restartPolicy Always), or — if larger —
 * each regular init container's request plus the sidecars started before it;
 * pod-level requests replace cpu/memory; overhead is added last.
 * Throws QuantityError naming the field when a quantity is malformed.
 */
export function podRequestsNanos(spec: PodSpecResources): ResourceNanos {
  const requests: ResourceNanos = new Map();
  (spec.containers ?? []).forEach((c, i) => add(requests, containerRequests(c, `containers[${i}]`)));
  const sidecars: ResourceNanos = new Map();
  const initPeak: ResourceNanos = new Map();
  (spec.initContainers ?? []).forEach((c, i) => {
    const own = containerRequests(c, `initContainers[${i}]`);
    if (c.restartPolicy === "Always") {
      // A native sidecar keeps running beside the app and beside every later init container.
      add(requests, own);
      add(sidecars, own);
      max(initPeak, sidecars);
    } else {
      const during: ResourceNanos = new Map(own);
      add(during, sidecars);
      max(initPeak, during);
    }
  });
  max(requests, initPeak);
  for (const [name, value] of toNanos(spec.resources?.requests, "resources.requests")) {
    if (POD_LEVEL.has(name)) requests.set(name, value);
  }
  add(requests, toNanos(spec.overhead, "overhead"));
  return requests;
}

/** A pod's effective requests in base units (cores, bytes): { cpu: 0.35, memory: 268435456 }. */
export function podRequests(spec: PodSpecResources): Record<string, number> {
  return Object.fromEntries([...podRequestsNanos(spec)].map(([name, nanos]) => [name, nanosToNumber(nanos)]));
}

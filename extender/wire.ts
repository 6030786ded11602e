// The scheduler extender wire format (k8s.io/kube-scheduler/extender/v1).
// Those Go types have no json tags: keys are the Go field names, and Go's
// decoder matches them case-insensitively, so "pod" and "POD" mean "Pod".
// Unset pointers arrive as null ("Nodes":null in node-cache mode).
import { z } from "zod";
import { describeIssue } from "../src/issues.ts";
import { podSpecResources, quantity } from "../src/resources.ts";

/** Renames keys that match a Go field name case-insensitively; like Go, a later duplicate wins. */
function goKeys(fields: readonly string[]) {
  const byLower = new Map(fields.map((f) => [f.toLowerCase(), f]));
  return (value: unknown): unknown => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) out[byLower.get(key.toLowerCase()) ?? key] = v;
    return out;
  };
}

const goStruct = <S extends z.ZodRawShape>(shape: S) => z.preprocess(goKeys(Object.keys(shape)), z.object(shape));

const resourceList = z.record(z.string(), quantity);

const labels = z.record(z.string(), z.string()).nullish();

const metadata = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels,
  annotations: labels,
  ownerReferences: z.array(z.looseObject({ uid: z.string(), controller: z.boolean().nullish() })).nullish(),
});

/** The pod being scheduled; the fields podgate reads are checked, the rest passes through. */
export const pod = z.looseObject({
  metadata: metadata.prefault({}),
  spec: podSpecResources
    .extend({
      nodeName: z.string().nullish(),
      priority: z.number().int().nullish(),
      tolerations: z.array(z.looseObject({ key: z.string().nullish(), operator: z.string().nullish(), value: z.string().nullish(), effect: z.string().nullish() })).nullish(),
    })
    .prefault({}),
});
export type Pod = z.infer<typeof pod>;

const taint = z.looseObject({ key: z.string(), value: z.string().nullish(), effect: z.string() });
export type Taint = z.infer<typeof taint>;

export const node = z.looseObject({
  metadata: metadata.extend({ name: z.string().min(1) }),
  spec: z.looseObject({ taints: z.array(taint).nullish(), unschedulable: z.boolean().nullish() }).nullish(),
  status: z.looseObject({ allocatable: resourceList.nullish() }).nullish(),
});
export type Node = z.infer<typeof node>;

/**
 * v1.NodeList has json tags ("items"), which Go also matches
 * case-insensitively. Its items are validated by NodeMemo, once per
 * resourceVersion: validating thousands of Nodes on every call costs more
 * than parsing them, and the reply sends the very objects that came in.
 */
const nodeList = z.preprocess(goKeys(["items"]), z.looseObject({ items: z.array(z.unknown()).nullish() }));

export const extenderArgs = goStruct({
  Pod: pod,
  Nodes: nodeList.nullish(),
  // A node name is never empty; one would come back in a reply the scheduler cannot use.
  NodeNames: z.array(z.string().min(1)).nullish(),
}).refine((a) => a.Nodes != null || a.NodeNames != null, { message: "one of Nodes (a NodeList) or NodeNames is required", path: ["Nodes"] });
export type ExtenderArgs = z.infer<typeof extenderArgs>;

export const extenderBindingArgs = goStruct({
  PodName: z.string().min(1),
  PodNamespace: z.string().min(1),
  PodUID: z.string(),
  Node: z.string().min(1),
});
export type ExtenderBindingArgs = z.infer<typeof extenderBindingArgs>;

const metaVictims = goStruct({
  Pods: z.array(goStruct({ UID: z.string().min(1) })).nullish(),
  NumPDBViolations: z.number().int().min(0).nullish(),
});

const victims = goStruct({
  Pods: z.array(pod).nullish(),
  NumPDBViolations: z.number().int().min(0).nullish(),
});

export const extenderPreemptionArgs = goStruct({
  Pod: pod,
  NodeNameToVictims: z.record(z.string(), victims.nullable()).nullish(),
  NodeNameToMetaVictims: z.record(z.string(), metaVictims.nullable()).nullish(),
});
export type ExtenderPreemptionArgs = z.infer<typeof extenderPreemptionArgs>;

/** MaxExtenderPriority: the scheduler multiplies an extender's score by its weight and by 10. */
export const MAX_EXTENDER_PRIORITY = 10;

// The replies, as schemas too: kube-scheduler decodes them, and the fuzz oracle checks every reply against them.
const failedNodesMap = z.record(z.string(), z.string());
export type FailedNodesMap = z.infer<typeof failedNodesMap>;

export const extenderFilterResult = z.object({
  /** The passing items exactly as they were sent. */
  Nodes: z.object({ items: z.array(z.unknown()) }).optional(),
  NodeNames: z.array(z.string()).optional(),
  FailedNodes: failedNodesMap,
  FailedAndUnresolvableNodes: failedNodesMap,
  Error: z.string(),
});
export type ExtenderFilterResult = z.infer<typeof extenderFilterResult>;

export const hostPriority = z.object({ Host: z.string().min(1), Score: z.number().int().min(0).max(MAX_EXTENDER_PRIORITY) });
export type HostPriority = z.infer<typeof hostPriority>;
export const hostPriorityList = z.array(hostPriority);

export const extenderBindingResult = z.object({ Error: z.string() });
export type ExtenderBindingResult = z.infer<typeof extenderBindingResult>;

/** A node with zero victims is an error to the scheduler, hence min(1). */
export const extenderPreemptionResult = z.object({
  NodeNameToMetaVictims: z.record(z.string(), z.object({ Pods: z.array(z.object({ UID: z.string().min(1) })).min(1), NumPDBViolations: z.number().int().min(0) })),
});
export type ExtenderPreemptionResult = z.infer<typeof extenderPreemptionResult>;

/** Args that passed the first read but are wrong deeper down (a Node's fields): answered with 400 like any bad args. */
export class WireError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

/** Validates with a schema, throwing a WireError that names the field under `prefix`. */
export function parseAt<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const { field, message } = result.error.issues[0] ? describeIssue(result.error.issues[0], prefix) : { field: prefix, message: `${prefix}: invalid` };
  throw new WireError(field, message);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

/** Validates a decoded body; a failure names the first offending field, e.g. "Pod.spec.containers[0].resources". */
export function parseWire<S extends z.ZodType>(schema: S, body: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  const first = result.error.issues[0];
  return first ? { ok: false, ...describeIssue(first) } : { ok: false, field: "(root)", message: "invalid" };
}

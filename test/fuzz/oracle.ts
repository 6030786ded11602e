// What a right reply is, whatever came in: a well-formed wire reply (checked
// with the zod schemas podgate's callers' types are built from) or a 4xx
// with a message; never a 5xx; the uid echoed whenever the input had one.
import { z } from "zod";
import { admissionReviewResponse } from "../../src/admission/review.ts";
import { extenderBindingResult, extenderFilterResult, extenderPreemptionResult, hostPriorityList } from "../../extender/wire.ts";
import type { EndpointKind } from "./target.ts";
import { inputUid, type FuzzInput } from "./inputs.ts";

export interface Reply {
  readonly status: number;
  readonly text: string;
}

const MAX_ERROR_REPLY = 4096;
const errorReply = z.object({ statusCode: z.number().int(), message: z.string().min(1), uid: z.string().optional() });

const REPLY_SCHEMAS: Record<EndpointKind, z.ZodType> = {
  admission: admissionReviewResponse,
  filter: extenderFilterResult,
  prioritize: hostPriorityList,
  bind: extenderBindingResult,
  preempt: extenderPreemptionResult,
};

/** The node names the scheduler offered, read like Go reads the args (keys case-insensitively). */
function offeredNodes(body: Buffer): Set<string> | undefined {
  let args: unknown;
  try {
    args = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof args !== "object" || args === null) return undefined;
  const field = (o: object, name: string) => Object.entries(o).findLast(([k]) => k.toLowerCase() === name)?.[1];
  const names = field(args, "nodenames");
  const nodes = field(args, "nodes");
  const items = typeof nodes === "object" && nodes !== null ? field(nodes, "items") : undefined;
  const list = Array.isArray(items) ? items.map((n: { metadata?: { name?: unknown } } | null) => n?.metadata?.name) : Array.isArray(names) ? names : [];
  return new Set(list.filter((n): n is string => typeof n === "string"));
}

function admissionProblem(input: FuzzInput, reply: z.infer<typeof admissionReviewResponse>): string | undefined {
  const uid = inputUid(input.body);
  if (reply.response.uid !== uid) return `response.uid ${JSON.stringify(reply.response.uid)} is not the request's ${JSON.stringify(uid)}`;
  const { allowed, status, patch } = reply.response;
  if (!allowed && (status?.code === undefined || status.code < 400)) return `a denial with status.code ${status?.code} (< 400)`;
  // A webhook that threw or ran out of time fails closed with a well-formed reply, but it is still a fault.
  if (status?.reason === "InternalError") return `a webhook failed: ${status.message ?? ""}`;
  if (reply.response.warnings?.some((w) => w.includes("ignored by failurePolicy"))) return `a webhook failed open: ${reply.response.warnings.join("; ")}`;
  if (patch !== undefined) {
    const operations: unknown = JSON.parse(Buffer.from(patch, "base64").toString("utf8"));
    if (!Array.isArray(operations) || operations.length === 0) return "a patch that is not a non-empty JSON array";
  }
  return undefined;
}

function extenderProblem(kind: EndpointKind, input: FuzzInput, value: unknown): string | undefined {
  const offered = offeredNodes(input.body);
  if (!offered) return undefined;
  const names =
    kind === "filter"
      ? [...((value as z.infer<typeof extenderFilterResult>).NodeNames ?? []), ...((value as z.infer<typeof extenderFilterResult>).Nodes?.items ?? []).map((n) => (n as { metadata?: { name?: string } }).metadata?.name ?? "")]
      : kind === "prioritize"
        ? (value as z.infer<typeof hostPriorityList>).map((h) => h.Host)
        : [];
  const stranger = names.find((n) => !offered.has(n));
  return stranger === undefined ? undefined : `replied with node ${JSON.stringify(stranger)}, which was not offered`;
}

/** Why a reply is wrong, or undefined when it is right. */
export function judge(kind: EndpointKind, input: FuzzInput, reply: Reply): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(reply.text);
  } catch {
    return `HTTP ${reply.status} with a body that is not JSON: ${reply.text.slice(0, 80)}`;
  }
  if (reply.status >= 400 && reply.status < 500) {
    // An error names the problem; echoing the input back would amplify it into replies and logs.
    if (reply.text.length > MAX_ERROR_REPLY) return `HTTP ${reply.status} reply of ${reply.text.length} bytes`;
    const parsed = errorReply.safeParse(body);
    if (!parsed.success) return `HTTP ${reply.status} without a message`;
    const uid = inputUid(input.body);
    // 413 and 415 are refused before the body is read: there is no uid to know.
    if (kind === "admission" && uid !== undefined && reply.status !== 413 && reply.status !== 415 && parsed.data.uid !== uid) {
      return `HTTP ${reply.status} did not echo the request uid ${JSON.stringify(uid)}`;
    }
    return undefined;
  }
  if (reply.status !== 200) return `HTTP ${reply.status}: ${reply.text.slice(0, 160)}`;
  const parsed = REPLY_SCHEMAS[kind].safeParse(body);
  if (!parsed.success) return `HTTP 200 but not a valid ${kind} reply: ${parsed.error.issues[0]?.message ?? "invalid"} at ${parsed.error.issues[0]?.path.join(".")}`;
  return kind === "admission" ? admissionProblem(input, parsed.data as z.infer<typeof admissionReviewResponse>) : extenderProblem(kind, input, parsed.data);
}

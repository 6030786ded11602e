// The one interface every admission webhook implements, modelled on
// controller-runtime's admission.Handler: a request in, a decision out, no HTTP.
import type { AdmissionRequest, KubeObject } from "./review.ts";

export type FailurePolicy = "Fail" | "Ignore";
export type WebhookKind = "mutating" | "validating";

export interface HandlerContext {
  /** Aborted when the webhook's deadline passes; long work should stop then. */
  readonly signal: AbortSignal;
  /** True for server-side dry runs: the handler must cause no side effects. */
  readonly dryRun: boolean;
  /**
   * The request's Namespace when the server watches Namespaces (config `namespaces.watch`); null for a
   * cluster-scoped request; undefined when not known (no watch, or not yet seen).
   */
  readonly namespaceObject?: KubeObject | null;
}

export interface Decision {
  readonly allowed: boolean;
  /** For denials: code >= 400 and the message kubectl shows. */
  readonly status?: { code: number; message: string; reason?: string };
  /** For mutating webhooks: the object as it should be stored (the server diffs it into a patch). */
  readonly object?: KubeObject;
  readonly warnings?: readonly string[];
  readonly auditAnnotations?: Readonly<Record<string, string>>;
}

export interface AdmissionHandler {
  readonly name: string;
  readonly kind: WebhookKind;
  /** What happens when the handler throws or times out: Fail denies, Ignore allows with a warning. */
  readonly failurePolicy: FailurePolicy;
  /** The apiserver's timeoutSeconds for this webhook; the handler's deadline sits below it. */
  readonly timeoutSeconds: number;
  /**
   * True when the handler never edits the request's objects in place (it
   * returns edited copies): a mutating chain then skips its defensive deep copy.
   */
  readonly leavesInputIntact?: boolean;
  handle(request: AdmissionRequest, context: HandlerContext): Decision | Promise<Decision>;
}

type Extras = Pick<Decision, "warnings" | "auditAnnotations">;

export function allow(extras: Extras = {}): Decision {
  return { allowed: true, ...extras };
}

/** A denial; codes below 400 would be forced to 400 by the apiserver, so they are refused here. */
export function deny(message: string, code = 403, extras: Extras & { reason?: string } = {}): Decision {
  if (code < 400 || code > 599) throw new RangeError(`denial code must be 400..599, got ${code}`);
  const { reason, ...rest } = extras;
  return { allowed: false, status: { code, message, ...(reason ? { reason } : {}) }, ...rest };
}

/** Allows the request with the object changed as given; an unchanged object yields no patch. */
export function mutate(object: KubeObject, extras: Extras = {}): Decision {
  return { allowed: true, object, ...extras };
}

/** Adds warnings to a decision without changing its verdict. */
export function warn(decision: Decision, ...warnings: string[]): Decision {
  return { ...decision, warnings: [...(decision.warnings ?? []), ...warnings] };
}

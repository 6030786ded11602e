// What the engine runs: a policy, declarative (CEL) or written in TypeScript,
// reduced to one shape. Evaluating never throws: errors are part of the verdict.
import type { FailurePolicy } from "../../src/admission/handler.ts";
import type { AdmissionRequest, KubeObject } from "../../src/admission/review.ts";
import { CostMeter } from "./cel-cost.ts";
import type { AuthzFixture } from "./cel-lib/authz.ts";
import type { MatchConstraints, PolicyDocument, Reason, ValidationAction } from "./schema.ts";

export interface Violation {
  readonly message: string;
  readonly reason: Reason;
  /** Which validation failed (its index), for audit annotations; absent for TypeScript policies. */
  readonly expressionIndex?: number;
}

export interface PolicyInput {
  readonly request: AdmissionRequest;
  /** The request's Namespace object; null for cluster-scoped requests, undefined when unknown. */
  readonly namespaceObject?: KubeObject | null;
  /** Answers for `authorizer` checks (offline tests); without one, checks fail with a message saying why. */
  readonly authorizer?: AuthzFixture | undefined;
}

export type Verdict =
  | { readonly result: "skip" }
  | { readonly result: "pass" }
  | { readonly result: "fail"; readonly violations: readonly Violation[] }
  /** An expression or the policy's code failed; failurePolicy decides what that means. */
  | { readonly result: "error"; readonly error: string };

export interface Policy {
  readonly name: string;
  /** Where it came from: a file, a module, or the built-in library. */
  readonly origin: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly failurePolicy: FailurePolicy;
  readonly validationActions: readonly ValidationAction[];
  readonly match: MatchConstraints;
  /** Whether a pod policy also judges the pod templates of workloads (Deployment, Job...) when they are admitted. */
  readonly autogen: boolean;
  /** The source document of a declarative policy (what `export vap` emits); absent for TypeScript policies. */
  readonly document?: PolicyDocument;
  /** `state` is what the policies of one review share (evaluateAll makes it); a policy alone gets its own. */
  evaluate(input: PolicyInput, state?: ReviewState): Verdict;
}

/**
 * What the policies of one review share, as the scheduling framework's
 * CycleState: the CEL cost meter, and values worked out once per review (the
 * request's CEL bindings, match answers, request-only variables), by key.
 * Made for one evaluateAll and dropped with it: no request state outlives it.
 */
export class ReviewState {
  readonly meter = new CostMeter();
  readonly #values = new Map<unknown, unknown>();

  /** The value under `key`, made by `make` the first time it is asked for. */
  memo<T>(key: unknown, make: () => T): T {
    if (this.#values.has(key)) return this.#values.get(key) as T;
    const value = make();
    this.#values.set(key, value);
    return value;
  }
}

export interface PolicyOverrides {
  readonly validationActions?: readonly ValidationAction[] | undefined;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
  readonly autogen?: boolean | undefined;
}

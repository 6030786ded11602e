// The TypeScript API for policies that need code. A module's default export is
// one policy (or a list) made with definePolicy(); the config names the module.
import type { V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import type { FailurePolicy } from "../../src/admission/handler.ts";
import { type AdmissionRequest, type KubeObject } from "../../src/admission/review.ts";
import { describeIssue } from "../../src/issues.ts";
import { PolicyError } from "./declarative.ts";
import { labelsOf, matchesConstraints } from "./match.ts";
import type { Policy, PolicyOverrides, Verdict, Violation } from "./policy.ts";
import { matchConstraints, reason, validationActions, type Reason, type ValidationAction } from "./schema.ts";

export type { V1Pod as Pod } from "@kubernetes/client-node";
export type { AdmissionRequest } from "../../src/admission/review.ts";

export interface PolicyContext<T, P> {
  /** The object being admitted; null on DELETE. */
  readonly object: T | null;
  /** The stored object on UPDATE and DELETE; null otherwise. */
  readonly oldObject: T | null;
  readonly request: AdmissionRequest;
  /** The request's Namespace, when podgate knows it. */
  readonly namespaceObject: KubeObject | null;
  readonly params: P;
}

export type Finding = string | { readonly message: string; readonly reason?: Reason };
/** Nothing (or an empty list) passes; each string or finding is a violation. */
export type Findings = Finding | readonly Finding[] | undefined | null | void;

export interface TypedPolicy<T = V1Pod, P = Readonly<Record<string, unknown>>> {
  readonly name: string;
  /** Defaults to pods, CREATE and UPDATE. */
  readonly matchConstraints?: z.input<typeof matchConstraints>;
  readonly validationActions?: readonly ValidationAction[];
  readonly failurePolicy?: FailurePolicy;
  readonly params?: P;
  /** Also judge the pod templates of Deployments, Jobs... (default true); false judges pods alone. */
  readonly autogen?: boolean;
  validate(context: PolicyContext<T, P>): Findings;
}

/** Identity at run time; it gives the policy its types. */
export function definePolicy<T = V1Pod, P = Readonly<Record<string, unknown>>>(policy: TypedPolicy<T, P>): TypedPolicy<T, P> {
  return policy;
}

const PODS = { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE", "UPDATE"] }] };

const typedShape = z.object({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be lowercase letters, digits, '-' and '.'"),
  matchConstraints: matchConstraints.default(matchConstraints.parse(PODS)),
  validationActions: validationActions.default(["Deny"]),
  failurePolicy: z.enum(["Fail", "Ignore"]).default("Fail"),
  params: z.record(z.string(), z.unknown()).optional(),
  autogen: z.boolean().default(true),
  validate: z.custom<(context: PolicyContext<unknown, unknown>) => Findings>((v) => typeof v === "function", "must be a function"),
});

const finding = z.union([z.string().min(1), z.object({ message: z.string().min(1), reason: reason.default("Forbidden") })]);

function verdictOf(findings: unknown): Verdict {
  if (findings === undefined || findings === null) return { result: "pass" };
  const list = Array.isArray(findings) ? findings : [findings];
  const violations: Violation[] = [];
  for (const item of list) {
    const parsed = finding.safeParse(item);
    if (!parsed.success) return { result: "error", error: `validate() returned ${JSON.stringify(item)}: expected a message or {message, reason}` };
    violations.push(typeof parsed.data === "string" ? { message: parsed.data, reason: "Forbidden" } : parsed.data);
  }
  return violations.length > 0 ? { result: "fail", violations } : { result: "pass" };
}

/** Checks a module's export and wraps it as a Policy; problems name the module and field. */
export function typedPolicy(value: unknown, origin: string, overrides: PolicyOverrides = {}): Policy {
  const parsed = typedShape.safeParse(value);
  if (!parsed.success) {
    const name = typeof (value as { name?: unknown } | null)?.name === "string" ? ` "${(value as { name: string }).name}"` : "";
    throw new PolicyError(parsed.error.issues.map((issue) => `policy${name} (${origin}): ${describeIssue(issue).message}`));
  }
  const p = parsed.data;
  const params = overrides.params ?? p.params ?? {};
  return {
    name: p.name,
    origin,
    labels: {},
    failurePolicy: p.failurePolicy,
    validationActions: overrides.validationActions ?? p.validationActions,
    match: p.matchConstraints,
    autogen: overrides.autogen ?? p.autogen,
    evaluate(input) {
      const { request } = input;
      const namespaceLabels = input.namespaceObject ? labelsOf(input.namespaceObject) : undefined;
      if (!matchesConstraints(p.matchConstraints, request, namespaceLabels)) return { result: "skip" };
      try {
        // A policy gets copies: it cannot change what the next policy or the apiserver sees.
        return verdictOf(
          p.validate(
            structuredClone({
              object: request.object ?? null,
              oldObject: request.oldObject ?? null,
              request,
              namespaceObject: input.namespaceObject ?? null,
              params,
            }),
          ),
        );
      } catch (error) {
        return { result: "error", error: `validate() threw: ${error instanceof Error ? error.message : String(error)}` };
      }
    },
  };
}

// Turning verdicts into one admission decision: Deny -> allowed:false with every
// message, Warn -> warnings, Audit -> auditAnnotations, errors per failurePolicy.
import { allow, deny, type Decision } from "../../src/admission/handler.ts";
import { ReviewState, type Policy, type PolicyInput, type Verdict, type Violation } from "./policy.ts";
import { REASON_CODES, type ValidationAction } from "./schema.ts";

export interface PolicyOutcome {
  readonly policy: Policy;
  readonly verdict: Verdict;
}

/** Every policy's verdict on one review; they share one ReviewState (the CEL budget, what is worked out once). */
export function evaluateAll(policies: readonly Policy[], input: PolicyInput): PolicyOutcome[] {
  const state = new ReviewState();
  return policies.map((policy) => ({ policy, verdict: policy.evaluate(input, state) }));
}

interface Finding {
  readonly policy: Policy;
  readonly violation: Violation;
}

const NONE: readonly Finding[] = Object.freeze([]);

/** What a verdict asks the actions to report: violations, or the error when failurePolicy is Fail. */
function findings({ policy, verdict }: PolicyOutcome): readonly Finding[] {
  if (verdict.result === "fail") return verdict.violations.map((violation) => ({ policy, violation }));
  if (verdict.result === "error" && policy.failurePolicy === "Fail") {
    return [{ policy, violation: { message: `evaluation failed: ${verdict.error}`, reason: "Forbidden" } }];
  }
  return NONE;
}

const withAction = (all: readonly Finding[], action: ValidationAction) => all.filter((f) => f.policy.validationActions.includes(action));

/** The audit annotation VAP writes: one key per policy, its value a JSON list of failures. */
function auditAnnotations(audited: readonly Finding[]): Record<string, string> {
  const byPolicy = Map.groupBy(audited, (f) => f.policy.name);
  return Object.fromEntries(
    [...byPolicy].map(([name, list]) => [
      name,
      JSON.stringify(
        list.map((f) => ({
          message: f.violation.message,
          policy: name,
          ...(f.violation.expressionIndex === undefined ? {} : { expressionIndex: f.violation.expressionIndex }),
          validationActions: f.policy.validationActions,
        })),
      ),
    ]),
  );
}

export function decide(outcomes: readonly PolicyOutcome[]): Decision {
  const all = outcomes.flatMap(findings);
  // Nothing to report, the usual case: no warnings, no audit annotations, allowed.
  if (all.length === 0) return allow();
  const line = (f: Finding) => `policy ${f.policy.name}: ${f.violation.message}`;
  const warnings = withAction(all, "Warn").map(line);
  const audit = auditAnnotations(withAction(all, "Audit"));
  const extras = {
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(Object.keys(audit).length > 0 ? { auditAnnotations: audit } : {}),
  };
  const denials = withAction(all, "Deny");
  if (denials.length === 0) return allow(extras);
  const first = denials[0]!.violation.reason;
  return deny(denials.map(line).join("; "), REASON_CODES[first], { ...extras, reason: first });
}

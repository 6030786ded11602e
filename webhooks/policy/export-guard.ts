// The matchCondition `podgate export vap` adds so that kube-apiserver can skip
// a policy's validations when every one of them passes: the conjunction of
// the validations, negated, with the variables written out (a matchCondition
// cannot read `variables`). Most requests pass, and one expression costs the
// apiserver far less than one per validation (docs/benchmarks.md: setup C).
// A request that fails one of them meets the validations as before, with
// their messages.
import { compileCel } from "./cel.ts";
import { tokenize } from "./cel-tokens.ts";
import type { PolicyDocument } from "./schema.ts";

export const GUARD_CONDITION = "podgate.dev/fails-a-validation";
/** kube-apiserver's limit on a policy's matchConditions. */
const MAX_MATCH_CONDITIONS = 64;

type Spec = Pick<PolicyDocument["spec"], "failurePolicy" | "matchConditions" | "variables" | "validations">;
type Variable = NonNullable<Spec["variables"]>[number];

/**
 * The expression with each reference to a variable (the identifier `variables`
 * and a field of it, never text inside a string or a field named so) replaced
 * by the variable's own expression, those it reads in turn. Undefined when
 * `variables` is read any other way, or names one not defined before.
 */
export function inlineVariables(expression: string, variables: readonly Variable[]): string | undefined {
  const tokens = tokenize(expression);
  let out = "";
  let copied = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.text !== "variables") continue;
    // `x.variables` and `x.?variables` are fields, not the identifier.
    if (tokens[i - 1]?.text === "." || (tokens[i - 1]?.text === "?" && tokens[i - 2]?.text === ".")) continue;
    const name = tokens[i + 1]?.text === "." ? tokens[i + 2] : undefined;
    const index = variables.findIndex((v) => v.name === name?.text);
    if (!name || index < 0) return undefined;
    // A variable reads only those defined before it.
    const inlined = inlineVariables(variables[index]!.expression, variables.slice(0, index));
    if (inlined === undefined) return undefined;
    out += `${expression.slice(copied, token.start)}(${inlined})`;
    copied = name.end;
    i += 2;
  }
  return out + expression.slice(copied);
}

/** The guard's expression: no validation fails, negated, its variables written out; undefined when they cannot be. */
function guardExpression(spec: Spec): string | undefined {
  const parts: string[] = [];
  for (const validation of spec.validations) {
    const inlined = inlineVariables(validation.expression, spec.variables ?? []);
    if (inlined === undefined) return undefined;
    parts.push(`(${inlined})`);
  }
  const expression = `!(${parts.join(" && ")})`;
  try {
    return compileCel(expression, "bool").usesVariables ? undefined : expression;
  } catch {
    return undefined;
  }
}

/**
 * The guard for a policy, or undefined where it could change an outcome or
 * would not pay: a policy that fails open (a guard that errors would skip
 * validations that deny), a single validation, no room among the
 * matchConditions, or variables it cannot write out. Its cost is the
 * validations' together: kube-apiserver does not estimate a policy's costs
 * when it is created, and at run time a guard over its per-expression limit
 * is an error, which this failurePolicy (Fail) turns into a denial.
 */
export function validationGuard(spec: Spec): { name: string; expression: string } | undefined {
  const conditions = spec.matchConditions ?? [];
  if (spec.failurePolicy === "Ignore" || spec.validations.length < 2 || conditions.length >= MAX_MATCH_CONDITIONS || conditions.some((c) => c.name === GUARD_CONDITION)) return undefined;
  const expression = guardExpression(spec);
  return expression === undefined ? undefined : { name: GUARD_CONDITION, expression };
}

/** The spec with its guard appended to its matchConditions, when it gets one. */
export function withValidationGuard<S extends Spec>(spec: S): S {
  const guard = validationGuard(spec);
  return guard ? { ...spec, matchConditions: [...(spec.matchConditions ?? []), guard] } : spec;
}

/**
 * The spec without the guard the export gave it: podgate evaluates the
 * validations themselves, which the guard only lets the apiserver skip (and
 * podgate's load-time cost estimate, which sizes each list it cannot know
 * at a thousand items, would count all the validations' comprehensions in
 * one expression). A condition of that name that is not the guard stays.
 */
export function withoutValidationGuard<S extends Spec>(spec: S): S {
  const conditions = spec.matchConditions ?? [];
  const index = conditions.findIndex((c) => c.name === GUARD_CONDITION);
  if (index < 0) return spec;
  const rest = conditions.filter((_, i) => i !== index);
  if (conditions[index]!.expression !== guardExpression(spec)) return spec;
  return { ...spec, matchConditions: rest };
}

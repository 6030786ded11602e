// podgate's side of the CEL differential test: a case evaluated as a policy
// expression is (compiled, metered), and when two outcomes agree.
import { isDeepStrictEqual } from "node:util";
import { CostMeter, METER } from "../../webhooks/policy/cel-cost.ts";
import { compileCel, toCel } from "../../webhooks/policy/cel.ts";
import { authorizerFor } from "../../webhooks/policy/cel-lib/authz.ts";
import type { CelCase } from "./cases.ts";
import { encodeCel, type Tagged } from "./encode.ts";

/** A value, or the failure's message (compiling or evaluating). */
export interface Outcome {
  readonly value?: Tagged;
  readonly error?: string;
  /** Where an error arose: at load ("compile") or when evaluating. */
  readonly stage?: string;
}

export function podgate(c: CelCase): Outcome {
  let program;
  try {
    program = compileCel(c.expr, "any");
  } catch (error) {
    return { error: (error as Error).message.split("\n")[0], stage: "compile" };
  }
  try {
    // Metered as in a review, so the cost limits are part of what must agree.
    const bindings = { object: toCel(c.vars?.object), params: toCel(c.vars?.params), authorizer: authorizerFor(c.authz), [METER]: new CostMeter() };
    return { value: encodeCel(program.run(bindings)) };
  } catch (error) {
    return { error: (error as Error).message.split("\n")[0], stage: "eval" };
  }
}

/** The same value, or both failed (messages differ between the implementations). */
export function agree(a: Outcome, b: Outcome): boolean {
  if (a.error !== undefined || b.error !== undefined) return a.error !== undefined && b.error !== undefined;
  return isDeepStrictEqual(a.value, b.value);
}

// A policy document compiled once into a runnable Policy: every expression is
// parsed and type-checked here, and every problem is reported with its field path.
import { celErrorMessage, compileCel, fromCel, toCel, type CelBindings, type CelExpect, type CelProgram } from "./cel.ts";
import { ASSUMED_LIST_LENGTH, METER, PER_EXPRESSION_LIMIT } from "./cel-cost.ts";
import { authorizerFor, type Authorizer } from "./cel-lib/authz.ts";
import { withoutValidationGuard } from "./export-guard.ts";
import { matchesConstraints, labelsOf } from "./match.ts";
import { ReviewState, type Policy, type PolicyInput, type PolicyOverrides, type Verdict, type Violation } from "./policy.ts";
import { paramsProblems, paramsSchemaOf } from "./params.ts";
import { AUTOGEN_ANNOTATION, type PolicyDocument } from "./schema.ts";

export class PolicyError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join("\n"));
    this.problems = problems;
  }
}

interface CompiledValidation {
  readonly expression: CelProgram;
  readonly message?: string;
  readonly messageExpression?: CelProgram;
  readonly reason: Violation["reason"];
}

/** Compiles each expression, collecting every error rather than stopping at the first. */
export class Compiler {
  readonly problems: string[] = [];
  readonly where: string;
  /** The params the expressions will see: the estimate sizes lists read from them. */
  readonly params: unknown;
  constructor(where: string, params: unknown) {
    this.where = where;
    this.params = params;
  }
  cel(field: string, source: string, expect: CelExpect, knownVariables: ReadonlySet<string>): CelProgram | undefined {
    try {
      const program = compileCel(source, expect);
      const estimated = program.estimatedCost(this.params);
      if (estimated > PER_EXPRESSION_LIMIT) {
        this.problems.push(
          `${this.where}: ${field}: estimated cost ${estimated.toLocaleString("en")} exceeds the per-expression limit ${PER_EXPRESSION_LIMIT.toLocaleString("en")} (kube-apiserver's; lists counted at ${ASSUMED_LIST_LENGTH.toLocaleString("en")} items): ${source}`,
        );
      }
      for (const name of program.variableRefs) {
        if (!knownVariables.has(name)) this.problems.push(`${this.where}: ${field}: variables.${name} is not defined ${knownVariables.size ? "before this point" : "(spec.variables is empty)"}`);
      }
      return program;
    } catch (error) {
      this.problems.push(`${this.where}: ${field}: ${(error as Error).message}`);
      return undefined;
    }
  }
}

/** VAP's fallback when a validation has neither message nor a usable messageExpression. */
const defaultMessage = (source: string) => `failed expression: ${source}`;

type SharedSpec = Pick<PolicyDocument["spec"], "matchConditions" | "variables" | "params" | "paramsSchema">;

/** What validating and mutating policies compile alike: matchConditions, variables (in order) and the params' schema. */
export function compileCommon(compiler: Compiler, spec: SharedSpec) {
  const matchConditions = (spec.matchConditions ?? []).map((c, i) => ({
    name: c.name,
    program: compiler.cel(`spec.matchConditions[${i}].expression`, c.expression, "bool", new Set()),
  }));
  const defined = new Set<string>();
  const variables = (spec.variables ?? []).map((v, i) => {
    if (defined.has(v.name)) compiler.problems.push(`${compiler.where}: spec.variables[${i}].name: duplicate variable "${v.name}"`);
    const program = compiler.cel(`spec.variables[${i}].expression`, v.expression, "any", new Set(defined));
    defined.add(v.name);
    return { name: v.name, program };
  });
  const declared = paramsSchemaOf(spec);
  if ("problem" in declared) compiler.problems.push(`${compiler.where}: ${declared.problem}`);
  else if (spec.paramsSchema !== undefined && spec.params !== undefined) {
    compiler.problems.push(...paramsProblems(declared.schema, spec.params, "spec.params").map((p) => `${compiler.where}: ${p}`));
  }
  return { matchConditions, variables, defined };
}

export function compilePolicy(document: PolicyDocument, origin: string, overrides: PolicyOverrides = {}): Policy {
  const name = document.metadata.name;
  // A VAP podgate exported, read back: its guard only lets the apiserver skip what runs here anyway.
  const spec = withoutValidationGuard(document.spec);
  const compiler = new Compiler(`policy "${name}" (${origin})`, overrides.params ?? spec.params);
  const { matchConditions, variables, defined } = compileCommon(compiler, spec);
  const validations = spec.validations.map((v, i): CompiledValidation | undefined => {
    const expression = compiler.cel(`spec.validations[${i}].expression`, v.expression, "bool", defined);
    const messageExpression = v.messageExpression === undefined ? undefined : compiler.cel(`spec.validations[${i}].messageExpression`, v.messageExpression, "string", defined);
    if (!expression || (v.messageExpression !== undefined && !messageExpression)) return undefined;
    return { expression, reason: v.reason, ...(v.message ? { message: v.message } : {}), ...(messageExpression ? { messageExpression } : {}) };
  });
  if (compiler.problems.length > 0) throw new PolicyError(compiler.problems);

  const params = overrides.params ?? spec.params;
  const celParams = params === undefined ? null : toCel(params);
  const compiled = validations as CompiledValidation[];
  const all = [...matchConditions.map((c) => c.program!), ...variables.map((v) => v.program!), ...compiled.flatMap((v) => (v.messageExpression ? [v.expression, v.messageExpression] : [v.expression]))];
  const programs = { matchConditions, variables, validations: compiled, usesAuthorizer: all.some((p) => p.usesAuthorizer) };
  const matcher = { constraints: spec.matchConstraints, key: JSON.stringify(spec.matchConstraints) };
  const labels = document.metadata.labels ?? {};
  return {
    name,
    origin,
    labels,
    failurePolicy: spec.failurePolicy,
    validationActions: overrides.validationActions ?? spec.validationActions,
    match: spec.matchConstraints,
    autogen: overrides.autogen ?? document.metadata.annotations?.[AUTOGEN_ANNOTATION] !== "false",
    document: overrides.params === undefined ? document : { ...document, spec: { ...spec, params: { ...overrides.params } } },
    evaluate: (input, state = new ReviewState()) => evaluate(programs, matcher, celParams, input, state),
  };
}

/** A policy's matchConstraints and their JSON: policies with equal constraints share one answer per request. */
interface Matcher {
  readonly constraints: PolicyDocument["spec"]["matchConstraints"];
  readonly key: string;
}

/** A variable's value, or its evaluation error's message. */
type VariableOutcome = { readonly value: unknown; readonly error?: undefined } | { readonly error: string };

/**
 * What every declarative policy shares for one review, kept in its ReviewState:
 * whether each distinct set of matchConstraints matches, the request's CEL
 * bindings (its JSON converted once) and the request-only variables.
 */
class RequestState {
  readonly input: PolicyInput;
  readonly matched = new Map<string, boolean>();
  readonly variables = new Map<string, VariableOutcome>();
  #shared: Omit<CelBindings, "params" | "variables" | "authorizer"> | undefined;
  #authorizer: Authorizer | undefined;
  constructor(input: PolicyInput) {
    this.input = input;
  }
  get shared(): Omit<CelBindings, "params" | "variables" | "authorizer"> {
    if (this.#shared) return this.#shared;
    const { object, oldObject, ...request } = this.input.request;
    return (this.#shared = { object: toCel(object ?? null), oldObject: toCel(oldObject ?? null), request: toCel(request), namespaceObject: toCel(this.input.namespaceObject ?? null) });
  }
  /** Made for the first policy that asks the authorizer: most reviews have none. */
  get authorizer(): Authorizer {
    return (this.#authorizer ??= requestAuthorizer(this.input));
  }
}

/** The `authorizer` value for a review: checks as the request's user, `requestResource` for its resource. */
export function requestAuthorizer(input: PolicyInput): Authorizer {
  const request = input.request;
  return authorizerFor(input.authorizer, { name: request.userInfo?.username, groups: request.userInfo?.groups }, {
    group: request.resource.group,
    resource: request.resource.resource,
    subresource: request.subResource ?? "",
    namespace: request.namespace ?? "",
    name: request.name ?? "",
  });
}

function matches(state: RequestState, matcher: Matcher): boolean {
  let matched = state.matched.get(matcher.key);
  if (matched === undefined) {
    const input = state.input;
    matched = matchesConstraints(matcher.constraints, input.request, input.namespaceObject ? labelsOf(input.namespaceObject) : undefined);
    state.matched.set(matcher.key, matched);
  }
  return matched;
}

/**
 * A variable that reads neither params nor other variables has one value per
 * request, whichever policy declares it: the library's `containers` is
 * declared by a dozen policies and evaluated once. (CEL has no side effects.)
 */
function sharedVariable(state: RequestState, program: CelProgram, bindings: CelBindings): VariableOutcome {
  let outcome = state.variables.get(program.source);
  if (!outcome) {
    try {
      outcome = { value: program.run(bindings) };
    } catch (error) {
      outcome = { error: celErrorMessage(error) };
    }
    state.variables.set(program.source, outcome);
  }
  return outcome;
}

type Programs = {
  matchConditions: readonly { name: string; program?: CelProgram | undefined }[];
  variables: readonly { name: string; program?: CelProgram | undefined }[];
  validations: readonly CompiledValidation[];
  /** Some expression asks the authorizer. */
  usesAuthorizer: boolean;
};

/** The first variable read that failed; nothing is allocated in the usual case of no failure. */
function firstFailed(refs: ReadonlySet<string>, failed: ReadonlyMap<string, string>): string | undefined {
  if (failed.size === 0) return undefined;
  for (const ref of refs) if (failed.has(ref)) return ref;
  return undefined;
}

const NO_FAILURES: ReadonlyMap<string, string> = new Map();
// The verdicts most evaluations end in, shared: nothing changes a verdict once made.
const SKIP: Verdict = Object.freeze({ result: "skip" });
const PASS: Verdict = Object.freeze({ result: "pass" });

function evaluate(programs: Programs, matcher: Matcher, params: unknown, input: PolicyInput, review: ReviewState): Verdict {
  const state = review.memo(RequestState, () => new RequestState(input));
  if (!matches(state, matcher)) return SKIP;
  // One scope per evaluation: the request's bindings, this policy's params, its variables as they are computed, the review's meter.
  const values: Record<string, unknown> = {};
  const scope: CelBindings = { ...state.shared, ...(programs.usesAuthorizer && { authorizer: state.authorizer }), params, variables: values, [METER]: review.meter };
  // Match conditions: any false skips the policy; an error matters only if none is false (as the apiserver does).
  let conditionError: string | undefined;
  for (const { name, program } of programs.matchConditions) {
    try {
      if (program!.run(scope) !== true) return SKIP;
    } catch (error) {
      conditionError ??= `matchConditions "${name}": ${celErrorMessage(error)}`;
    }
  }
  if (conditionError) return { result: "error", error: conditionError };

  // Variables are evaluated in order; a failed one fails only the validations that read it.
  let failedVariables = NO_FAILURES as Map<string, string>;
  const fail = (name: string, message: string) => {
    if (failedVariables === NO_FAILURES) failedVariables = new Map();
    failedVariables.set(name, message);
  };
  for (const { name, program } of programs.variables) {
    const broken = firstFailed(program!.variableRefs, failedVariables);
    if (broken) {
      fail(name, failedVariables.get(broken)!);
      continue;
    }
    if (!program!.usesParams && !program!.usesVariables) {
      const outcome = sharedVariable(state, program!, scope);
      if (outcome.error === undefined) values[name] = outcome.value;
      else fail(name, `variables.${name}: ${outcome.error}`);
      continue;
    }
    try {
      values[name] = program!.run(scope);
    } catch (error) {
      fail(name, `variables.${name}: ${celErrorMessage(error)}`);
    }
  }

  let violations: Violation[] | undefined;
  let errors: string[] | undefined;
  for (let index = 0; index < programs.validations.length; index++) {
    const v = programs.validations[index]!;
    const broken = firstFailed(v.expression.variableRefs, failedVariables);
    if (broken) {
      (errors ??= []).push(`validations[${index}]: ${failedVariables.get(broken)}`);
      continue;
    }
    let ok: unknown;
    try {
      ok = v.expression.run(scope);
    } catch (error) {
      (errors ??= []).push(`validations[${index}] (${v.expression.source}): ${celErrorMessage(error)}`);
      continue;
    }
    if (typeof ok !== "boolean") {
      (errors ??= []).push(`validations[${index}] (${v.expression.source}): expected a bool, got ${typeof ok}`);
      continue;
    }
    if (!ok) (violations ??= []).push({ message: messageOf(v, scope), reason: v.reason, expressionIndex: index });
  }
  if (errors) return { result: "error", error: errors.join("; ") };
  return violations ? { result: "fail", violations } : PASS;
}

/** messageExpression wins when it yields a non-empty single-line string; otherwise message, as VAP does. */
function messageOf(v: CompiledValidation, scope: CelBindings): string {
  if (v.messageExpression) {
    try {
      const text = fromCel(v.messageExpression.run(scope));
      if (typeof text === "string" && text.trim() !== "" && !text.includes("\n")) return text.trim();
    } catch {
      // VAP falls back to the static message when messageExpression fails.
    }
  }
  return v.message ?? defaultMessage(v.expression.source);
}

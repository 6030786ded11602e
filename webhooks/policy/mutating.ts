// Mutating policies (MutatingAdmissionPolicy semantics): each matching policy
// runs its mutations in order on the object as the previous ones left it, and
// policies run in order, as kube-apiserver's mutating policy plugin does
// (k8s.io/apiserver .../policy/mutating/dispatcher.go):
// - a failed mutation is skipped; the policy's failurePolicy decides whether
//   the request is denied, the other mutations still apply;
// - variables are evaluated when first read, once per policy run;
// - IfNeeded policies that ran run once more when any mutation applied, as
//   the apiserver's reinvocation does.
// Pure: an object and a request in, the mutated object and errors out.
import type { FailurePolicy } from "../../src/admission/handler.ts";
import type { KubeObject } from "../../src/admission/review.ts";
import { isDeepStrictEqual } from "node:util";
import { celErrorMessage, toCel, type CelBindings, type CelProgram } from "./cel.ts";
import { METER } from "./cel-cost.ts";
import { compileCommon, Compiler, PolicyError, requestAuthorizer } from "./declarative.ts";
import { labelsOf, matchesConstraints } from "./match.ts";
import { applyConfiguration, schemaErrors, type Json } from "./mutation/apply.ts";
import { applyJsonPatch } from "./mutation/json-patch.ts";
import { toApplyPatch, toOperations } from "./mutation/patch-types.ts";
import { ReviewState, type PolicyInput } from "./policy.ts";
import type { MatchConstraints, MutatingPolicyDocument } from "./schema.ts";

/** The annotation naming the native policy a binding-derived podgate policy came from. */
export const NATIVE_POLICY_ANNOTATION = "podgate.dev/native-policy";

export interface MutatingPolicy {
  readonly name: string;
  readonly origin: string;
  readonly failurePolicy: FailurePolicy;
  readonly reinvocationPolicy: "Never" | "IfNeeded";
  readonly match: MatchConstraints;
  readonly document: MutatingPolicyDocument;
  /** The policy run once on `object`; skip when it does not match. */
  mutate(input: PolicyInput, object: KubeObject, state: ReviewState): PolicyRun;
}

/** `applied`: some mutation went through (changing the object or not), which makes the apiserver reinvoke. */
type PolicyRun = { readonly result: "skip" } | { readonly result: "ran"; readonly object: KubeObject; readonly errors: readonly string[]; readonly applied: boolean };

interface CompiledMutation {
  readonly patchType: "ApplyConfiguration" | "JSONPatch";
  readonly program: CelProgram;
}

export function compileMutatingPolicy(document: MutatingPolicyDocument, origin: string, params?: Readonly<Record<string, unknown>>): MutatingPolicy {
  const spec = document.spec;
  const compiler = new Compiler(`policy "${document.metadata.name}" (${origin})`, params ?? spec.params);
  const { matchConditions, variables, defined } = compileCommon(compiler, spec);
  const mutations = spec.mutations.map((m, i) => {
    const field = m.patchType === "ApplyConfiguration" ? "applyConfiguration" : "jsonPatch";
    const program = compiler.cel(`spec.mutations[${i}].${field}.expression`, m[field]!.expression, m.patchType === "ApplyConfiguration" ? "Object" : "list<JSONPatch>", defined);
    return program && { patchType: m.patchType, program };
  });
  if (compiler.problems.length > 0) throw new PolicyError(compiler.problems);
  const compiled = { matchConditions: matchConditions.map((c) => ({ name: c.name, program: c.program! })), variables: variables.map((v) => ({ name: v.name, program: v.program! })), mutations: mutations as CompiledMutation[] };
  const celParams = toCel(params ?? spec.params ?? null);
  const usesAuthorizer = [...compiled.matchConditions, ...compiled.variables, ...compiled.mutations].some((p) => p.program.usesAuthorizer);
  return {
    name: document.metadata.name,
    origin,
    failurePolicy: spec.failurePolicy,
    reinvocationPolicy: spec.reinvocationPolicy,
    match: spec.matchConstraints,
    document: params === undefined ? document : { ...document, spec: { ...spec, params: { ...params } } },
    mutate: (input, object, state) => run(compiled, spec.matchConstraints, celParams, usesAuthorizer, input, object, state),
  };
}

type Compiled = {
  readonly matchConditions: readonly { name: string; program: CelProgram }[];
  readonly variables: readonly { name: string; program: CelProgram }[];
  readonly mutations: readonly CompiledMutation[];
};

function run(programs: Compiled, match: MatchConstraints, params: unknown, usesAuthorizer: boolean, input: PolicyInput, start: KubeObject, review: ReviewState): PolicyRun {
  const { request } = input;
  if (!matchesConstraints(match, request, input.namespaceObject ? labelsOf(input.namespaceObject) : undefined)) return { result: "skip" };
  const { object: _object, oldObject, ...rest } = request;
  const authorizer = usesAuthorizer ? requestAuthorizer(input) : undefined;
  // Variables are read lazily and kept for the policy's run: one evaluates on the object as it is when first read.
  const cache = new Map<string, { value: unknown } | { error: string }>();
  const variables: Record<string, unknown> = {};
  const scope: { current: CelBindings } = { current: {} };
  for (const { name, program } of programs.variables) {
    Object.defineProperty(variables, name, {
      enumerable: true,
      get() {
        let outcome = cache.get(name);
        if (!outcome) {
          try {
            outcome = { value: program.run(scope.current) };
          } catch (error) {
            outcome = { error: `variables.${name}: ${celErrorMessage(error)}` };
          }
          cache.set(name, outcome);
        }
        if ("error" in outcome) throw new Error(outcome.error);
        return outcome.value;
      },
    });
  }
  // Only the object changes between mutations; the rest is converted once.
  const fixed: CelBindings = { oldObject: toCel(oldObject ?? null), request: toCel(rest), namespaceObject: toCel(input.namespaceObject ?? null), params, variables, ...(authorizer && { authorizer }), [METER]: review.meter };
  const bindingsFor = (object: KubeObject): CelBindings => ({ ...fixed, object: toCel(object) });
  scope.current = bindingsFor(start);
  // Any false skips the policy; an error counts only if none is false, as for validation.
  let conditionError: string | undefined;
  for (const { name, program } of programs.matchConditions) {
    try {
      if (program.run(scope.current) !== true) return { result: "skip" };
    } catch (error) {
      conditionError ??= `matchConditions "${name}": ${celErrorMessage(error)}`;
    }
  }
  if (conditionError) return { result: "ran", object: start, errors: [conditionError], applied: false };
  let object = start;
  const errors: string[] = [];
  for (const [index, mutation] of programs.mutations.entries()) {
    try {
      const value = mutation.program.run(scope.current);
      object = mutation.patchType === "ApplyConfiguration" ? applyConfiguration(object as { [key: string]: Json }, toApplyPatch(value)) : patched(object, toOperations(value));
      scope.current = bindingsFor(object);
    } catch (error) {
      errors.push(`mutations[${index}]: ${celErrorMessage(error)}`);
    }
  }
  return { result: "ran", object, errors, applied: errors.length < programs.mutations.length };
}

/** A JSON patch's result must still be an object of its kind, as the apiserver's strict decoding requires. */
function patched(object: KubeObject, operations: Parameters<typeof applyJsonPatch>[1]): KubeObject {
  const result = applyJsonPatch(object as { [key: string]: Json }, operations);
  if (result === object) return object;
  const problems = schemaErrors(result);
  if (problems.length > 0) throw new Error(`strict decoding error: ${problems.join("; ")}`);
  return result;
}

interface MutationOutcome {
  readonly policy: MutatingPolicy;
  readonly run: PolicyRun;
  /** The run left the object different from how it found it. */
  readonly changed: boolean;
}

interface MutationResult {
  /** The object after every policy; the input object itself when nothing changed. */
  readonly object: KubeObject;
  readonly outcomes: readonly MutationOutcome[];
  /** The message a denial carries, when a Fail policy's mutation failed. */
  readonly denial?: string;
}

/** How the apiserver names a policy in a denial: with its binding for native policies. */
function deniedBy(policy: MutatingPolicy, error: string): string {
  const native = policy.document.metadata.annotations?.[NATIVE_POLICY_ANNOTATION];
  return native !== undefined ? `policy '${native}' with binding '${policy.name}' denied request: ${error}` : `policy "${policy.name}" denied request: ${error}`;
}

/**
 * Every policy on the request's object, in order, then the IfNeeded ones that
 * ran once more (the apiserver's second pass, taken when any mutation applied).
 */
export function mutateAll(policies: readonly MutatingPolicy[], input: PolicyInput): MutationResult {
  const state = new ReviewState();
  const start = input.request.object;
  if (!start) return { object: {}, outcomes: [] };
  let object: KubeObject = start;
  const outcomes: MutationOutcome[] = [];
  const invokedIfNeeded: MutatingPolicy[] = [];
  let applied = false;
  const pass = (list: readonly MutatingPolicy[]) => {
    for (const policy of list) {
      const run = policy.mutate(input, object, state);
      outcomes.push({ policy, run, changed: run.result === "ran" && !isDeepStrictEqual(run.object, object) });
      if (run.result === "skip") continue;
      applied ||= run.applied;
      object = run.object;
      if (policy.reinvocationPolicy === "IfNeeded") invokedIfNeeded.push(policy);
    }
  };
  pass(policies);
  // A mutation that applied (changed or not) marks the object dirty: the apiserver reinvokes every IfNeeded policy that ran.
  if (applied) pass([...invokedIfNeeded]);
  const failed = outcomes.find((o) => o.run.result === "ran" && o.run.errors.length > 0 && o.policy.failurePolicy === "Fail");
  const denial = failed && failed.run.result === "ran" ? deniedBy(failed.policy, failed.run.errors.join("; ")) : undefined;
  return { object: isDeepStrictEqual(object, start) ? start : object, outcomes, ...(denial !== undefined ? { denial } : {}) };
}

// CEL for policies, on @marcbachmann/cel-js (chosen by bench/cel.ts: it is the
// one of the two that parses VAP's optional `?.` syntax, and the faster one).
// Every expression is parsed and type-checked once, at load, and interpreted
// by cel-js at run time, metered by the review's CostMeter.
import { Environment, type ASTNode, type ParseResult } from "@marcbachmann/cel-js";
import { estimateCost, METER, type CostMeter } from "./cel-cost.ts";
import { AUTHORIZER_TYPE, type Authorizer } from "./cel-lib/authz.ts";
import { meterCalls } from "./cel-lib/cost.ts";
import { prepareCalls, registerKubernetesLibraries, withUserNames } from "./cel-lib/index.ts";
import { KubernetesValue } from "./cel-lib/value.ts";
import { registerPatchTypes, rewriteStructLiterals } from "./mutation/patch-types.ts";

/** The variables a policy expression may use, as in ValidatingAdmissionPolicy. */
export const CEL_VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables"] as const;
export type CelVariable = (typeof CEL_VARIABLES)[number];
/**
 * What an expression is evaluated on: CEL values (request JSON through toCel, variables as
 * earlier expressions returned them), and the review's cost meter, which cel-js hands to
 * its evaluator with the bindings.
 */
export type CelBindings = Partial<Record<CelVariable, unknown>> & { readonly authorizer?: Authorizer; readonly [METER]?: CostMeter };

const environment = new Environment({ enableOptionalTypes: true });
registerKubernetesLibraries(environment);
registerPatchTypes(environment);
for (const name of CEL_VARIABLES) environment.registerVariable(name, "dyn");
environment.registerVariable("authorizer", AUTHORIZER_TYPE);
meterInterpreter();

/**
 * cel-js evaluates every child node through its evaluator's run(): the
 * environment's one evaluator gets a run() that first charges a unit to the
 * meter in the bindings it is evaluating. (cel-js has no cost hook; the
 * evaluator is reached by evaluating a probe expression whose root node hands
 * it over.) Library calls are charged their work by their own nodes (meterCalls).
 */
function meterInterpreter(): void {
  interface Evaluator {
    run(ast: ASTNode, context: { getValue(key: PropertyKey): unknown }): unknown;
  }
  const probe = environment.parse("true");
  let evaluator: Evaluator | undefined;
  Object.defineProperty(probe.ast, "evaluate", {
    value: (ev: Evaluator) => {
      evaluator = ev;
      return true;
    },
  });
  probe({});
  if (!evaluator) throw new Error("cel-js did not hand over its evaluator: the cost meter cannot be installed");
  const run = evaluator.run.bind(evaluator);
  evaluator.run = (ast, context) => {
    (context.getValue(METER) as CostMeter | undefined)?.charge(1);
    return run(ast, context);
  };
}

export interface CelProgram {
  readonly source: string;
  /** `variables.<name>` the expression reads, so a failed variable fails only what uses it. */
  readonly variableRefs: ReadonlySet<string>;
  readonly usesParams: boolean;
  /** Reads `variables` at all (by any access), not only the refs above. */
  readonly usesVariables: boolean;
  /** Asks the `authorizer`: only then do the bindings need one. */
  readonly usesAuthorizer: boolean;
  /** The load-time estimate of its worst-case cost (cel-cost.ts), with the policy's params. */
  estimatedCost(params: unknown): number;
  /** The expression's value; its cost counts against the bindings' meter, when they carry one. */
  run(bindings: CelBindings): unknown;
}

export class CelCompileError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(summary: string, line: number, column: number) {
    super(`${summary} (at line ${line}, column ${column})`);
    this.line = line;
    this.column = column;
  }
}

interface CelLibraryError {
  summary?: string;
  message: string;
  range?: { start: number };
}

function position(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset).split("\n");
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

function compileError(source: string, error: CelLibraryError, original = (offset: number) => offset): CelCompileError {
  const { line, column } = position(source, original(error.range?.start ?? 0));
  return new CelCompileError(withUserNames((error.summary ?? error.message).split("\n")[0] ?? "invalid expression"), line, column);
}

function walk(node: ASTNode, visit: (node: ASTNode) => void): void {
  visit(node);
  const args: unknown = node.args;
  const children = Array.isArray(args) ? args.flat() : [args];
  for (const child of children) if (isNode(child)) walk(child, visit);
}

function isNode(value: unknown): value is ASTNode {
  return typeof value === "object" && value !== null && "op" in value && "args" in value;
}

function references(ast: ASTNode) {
  const variableRefs = new Set<string>();
  let usesParams = false;
  let usesVariables = false;
  let usesAuthorizer = false;
  walk(ast, (node) => {
    if (node.op === "id" && node.args === "params") usesParams = true;
    if (node.op === "id" && node.args === "variables") usesVariables = true;
    if (node.op === "id" && node.args === "authorizer") usesAuthorizer = true;
    if ((node.op === "." || node.op === ".?") && node.args[0].op === "id" && node.args[0].args === "variables") variableRefs.add(node.args[1]);
  });
  return { variableRefs, usesParams, usesVariables, usesAuthorizer };
}

/** What an expression must evaluate to; a mutation's patch is an Object or a list of JSONPatch. */
export type CelExpect = "bool" | "string" | "any" | "Object" | "list<JSONPatch>";
const ACCEPTED: Record<Exclude<CelExpect, "any">, readonly string[]> = {
  bool: ["bool", "dyn"],
  string: ["string", "dyn"],
  Object: ["Object", "dyn"],
  "list<JSONPatch>": ["list<JSONPatch>", "list<dyn>", "list", "dyn"],
};

/**
 * Parses and type-checks an expression for the interpreter; `expect` is the type its
 * value must have (dyn always passes: object fields are only known at run time).
 * Only a mutation's patch expression (`expect` Object or list<JSONPatch>) has the
 * patch types and `jsonpatch`, as in kube-apiserver.
 */
export function parseCel(source: string, expect: CelExpect = "any"): ParseResult {
  const patchTypes = expect === "Object" || expect === "list<JSONPatch>";
  const rewritten = patchTypes ? rewriteStructLiterals(source) : { source, original: (offset: number) => offset };
  let parsed: ParseResult;
  try {
    parsed = environment.parse(rewritten.source);
    prepareCalls(parsed.ast);
  } catch (error) {
    throw compileError(source, error as CelLibraryError, rewritten.original);
  }
  if (!patchTypes) {
    walk(parsed.ast, (node) => {
      if (node.op === "id" && node.args === "jsonpatch") throw new CelCompileError("jsonpatch.escapeKey is available only in a mutation's patch expression", 1, 1);
    });
  }
  const checked = parsed.check();
  if (!checked.valid) throw compileError(source, checked.error ?? { message: "type error" }, rewritten.original);
  meterCalls(parsed.ast);
  if (expect !== "any" && !ACCEPTED[expect].includes(checked.type ?? "")) {
    throw new CelCompileError(`expression must evaluate to ${expect}, but it is ${checked.type}`, 1, 1);
  }
  return parsed;
}

export function compileCel(source: string, expect: CelExpect): CelProgram {
  const parsed = parseCel(source, expect);
  return {
    source,
    ...references(parsed.ast),
    estimatedCost: (params) => estimateCost(parsed.ast, params),
    run(bindings) {
      const meter = bindings[METER];
      meter?.beginExpression();
      try {
        return parsed(bindings) as unknown;
      } finally {
        meter?.endExpression();
      }
    },
  };
}

/** The first line of an evaluation error, without the library's source excerpt. */
export function celErrorMessage(error: unknown): string {
  if (error instanceof Error) return withUserNames(((error as CelLibraryError).summary ?? error.message).split("\n")[0] ?? error.message);
  return String(error);
}

/**
 * Kubernetes reads JSON integers as CEL int; the evaluator wants bigint for that.
 * Copy on write: a subtree without integers (most of managedFields, every
 * string map) is returned as it is, so a review's conversion allocates little.
 */
export function toCel(value: unknown): unknown {
  if (typeof value !== "object") return typeof value === "number" && Number.isInteger(value) ? BigInt(value) : value;
  if (value === null) return value;
  // Strings and booleans, most leaves, are skipped without a call; for...in, not Object.keys: no key array per object.
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === "string" || typeof v === "boolean") continue;
      const item = toCel(v);
      if (item !== v) (out ??= value.slice())[i] = item;
    }
    return out ?? value;
  }
  let out: Record<string, unknown> | undefined;
  for (const k in value) {
    const v = (value as Record<string, unknown>)[k];
    if (typeof v === "string" || typeof v === "boolean") continue;
    const item = toCel(v);
    if (item !== v) (out ??= { ...value })[k] = item;
  }
  return out ?? value;
}

/** The reverse, for values shown to people (messages, audit annotations). */
export function fromCel(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof KubernetesValue) return value.toString();
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (Array.isArray(value)) return value.map(fromCel);
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}

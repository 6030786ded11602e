// CEL for policies, on @marcbachmann/cel-js (chosen by bench/cel.ts: it is the
// one of the two that parses VAP's optional `?.` syntax, and the faster one).
// Every expression is parsed and type-checked once, at load.
import { Environment, type ASTNode, type ParseResult } from "@marcbachmann/cel-js";
import { compileClosure, FALLBACK } from "./cel-compile.ts";
import { beginExpression, CelCostExceeded, charge, endExpression, estimateCost } from "./cel-cost.ts";

/** The variables a policy expression may use, as in ValidatingAdmissionPolicy. */
export const CEL_VARIABLES = ["object", "oldObject", "request", "params", "namespaceObject", "variables"] as const;
export type CelVariable = (typeof CEL_VARIABLES)[number];
export type CelBindings = Partial<Record<CelVariable, unknown>>;

export const DECLARED: ReadonlySet<string> = new Set(CEL_VARIABLES);
/** Closures that threw something other than FALLBACK (a bug; the interpreter answered). Tests hold it at 0. */
let compiledFaults = 0;
export const compiledFaultCount = (): number => compiledFaults;

const environment = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false });
for (const name of CEL_VARIABLES) environment.registerVariable(name, "dyn");
meterInterpreter();

/**
 * cel-js evaluates every child node through its evaluator's run(): the
 * environment's one evaluator gets a run() that charges the cost meter a unit
 * per node first. (cel-js has no cost hook; the evaluator is reached by
 * evaluating a probe expression whose root node hands it over.)
 */
function meterInterpreter(): void {
  interface Evaluator {
    run(ast: ASTNode, context: unknown): unknown;
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
    charge(1);
    return run(ast, context);
  };
}

/**
 * A variable's value that only cel-js may read: one it computed holding a
 * double with an integral value (1.0), which closures would read as an int.
 */
export class InterpreterOnly {
  readonly value: unknown;
  constructor(value: unknown) {
    this.value = value;
  }
}

/** Beside `variables`, under a symbol closures never see: the InterpreterOnly values, by name. */
export const INTERPRETER_ONLY: unique symbol = Symbol("variables only cel-js reads");
export type CelVariables = Record<string, unknown> & { [INTERPRETER_ONLY]?: Record<string, unknown> };

export interface CelProgram {
  readonly source: string;
  /** `variables.<name>` the expression reads, so a failed variable fails only what uses it. */
  readonly variableRefs: ReadonlySet<string>;
  readonly usesParams: boolean;
  /** Reads `variables` at all (by any access), not only the refs above. */
  readonly usesVariables: boolean;
  /** The load-time estimate of its worst-case cost (cel-cost.ts), with the policy's params. */
  estimatedCost(params: unknown): number;
  /** Runs as a compiled closure, with the interpreter behind it (cel-compile.ts); false: interpreted only. */
  readonly compiled: boolean;
  /**
   * The expression's value. `bindings` may hold request JSON as parsed (an
   * integral number is a CEL int), `variables` the values of runVariable.
   */
  run(bindings: CelBindings): unknown;
  /** As run, for a variable: a value cel-js computed that closures must not read comes back as InterpreterOnly. */
  runVariable(bindings: CelBindings): unknown;
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

function compileError(source: string, error: CelLibraryError): CelCompileError {
  const { line, column } = position(source, error.range?.start ?? 0);
  return new CelCompileError((error.summary ?? error.message).split("\n")[0] ?? "invalid expression", line, column);
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
  walk(ast, (node) => {
    if (node.op === "id" && node.args === "params") usesParams = true;
    if (node.op === "id" && node.args === "variables") usesVariables = true;
    if ((node.op === "." || node.op === ".?") && node.args[0].op === "id" && node.args[0].args === "variables") variableRefs.add(node.args[1]);
  });
  return { variableRefs, usesParams, usesVariables };
}

/**
 * Parses and type-checks an expression for the interpreter; `expect` is the type its
 * value must have (dyn always passes: object fields are only known at run time).
 */
export function parseCel(source: string, expect: "bool" | "string" | "any" = "any"): ParseResult {
  let parsed: ParseResult;
  try {
    parsed = environment.parse(source);
  } catch (error) {
    throw compileError(source, error as CelLibraryError);
  }
  const checked = parsed.check();
  if (!checked.valid) throw compileError(source, checked.error ?? { message: "type error" });
  if (expect !== "any" && checked.type !== expect && checked.type !== "dyn") {
    throw new CelCompileError(`expression must evaluate to ${expect}, but it is ${checked.type}`, 1, 1);
  }
  return parsed;
}

const NO_ANSWER: unique symbol = Symbol("no answer from the closure");

/** The expression as a closure where it can be (cel-compile.ts), the interpreter behind it. */
export function compileCel(source: string, expect: "bool" | "string" | "any"): CelProgram {
  const parsed = parseCel(source, expect);
  const interpret = (bindings: CelBindings): unknown => parsed(interpreterBindings(bindings)) as unknown;
  const compiled = compileClosure(parsed.ast, DECLARED);
  /** The closure's value, or NO_ANSWER when the interpreter must answer (no allocation either way). */
  const attempt = compiled
    ? (bindings: CelBindings): unknown => {
        try {
          return compiled(bindings);
        } catch (error) {
          // Over the cost limit is an answer: the interpreter would only spend the same again.
          if (error instanceof CelCostExceeded) throw error;
          // FALLBACK, or a fault of the compiled closure: the interpreter's answer (or error) is CEL's.
          if (error !== FALLBACK) compiledFaults++;
          return NO_ANSWER;
        }
      }
    : () => NO_ANSWER;
  return {
    source,
    ...references(parsed.ast),
    compiled: compiled !== undefined,
    estimatedCost: (params) => estimateCost(parsed.ast, params),
    run(bindings) {
      beginExpression();
      try {
        const value = attempt(bindings);
        return value === NO_ANSWER ? interpret(bindings) : value;
      } finally {
        endExpression();
      }
    },
    runVariable(bindings) {
      beginExpression();
      try {
        const value = attempt(bindings);
        if (value !== NO_ANSWER) return value;
        const interpreted = interpret(bindings);
        return holdsIntegralNumber(interpreted) ? new InterpreterOnly(interpreted) : interpreted;
      } finally {
        endExpression();
      }
    },
  };
}

/** Whether a value cel-js made holds a JS number with an integral value (a CEL double like 1.0) anywhere. */
function holdsIntegralNumber(value: unknown): boolean {
  if (typeof value === "number") return Number.isInteger(value);
  if (Array.isArray(value)) return value.some(holdsIntegralNumber);
  if (value instanceof Map) return [...value.values()].some(holdsIntegralNumber);
  if (typeof value === "object" && value !== null) return Object.values(value).some(holdsIntegralNumber);
  return false;
}

/**
 * The request's JSON converted for cel-js, one entry per binding, for the
 * request being evaluated: every expression that falls back converts the same
 * objects. Not a WeakMap (see declarative.ts); released with the request.
 */
const converted = new Map<string, { readonly raw: unknown; readonly cel: unknown }>();

function convertedOnce(name: string, raw: unknown): unknown {
  const memo = converted.get(name);
  if (memo !== undefined && memo.raw === raw) return memo.cel;
  const cel = toCel(raw);
  converted.set(name, { raw, cel });
  return cel;
}

/** Drops the converted request, so a large review is not kept until the next one falls back. */
export function releaseConverted(): void {
  converted.clear();
}

/** What cel-js reads: the bindings with JSON integers as bigint, and every variable, InterpreterOnly ones included. */
function interpreterBindings(bindings: CelBindings): CelBindings {
  const variables = bindings.variables as CelVariables | undefined;
  const out: Record<string, unknown> = {};
  for (const name of CEL_VARIABLES) {
    if (name === "variables" || !(name in bindings)) continue;
    out[name] = name === "params" ? toCel(bindings[name]) : convertedOnce(name, bindings[name]);
  }
  if (variables) {
    const values: Record<string, unknown> = {};
    for (const name of Object.keys(variables)) values[name] = convertedOnce(`variables.${name}`, variables[name]);
    Object.assign(values, variables[INTERPRETER_ONLY]);
    out["variables"] = values;
  }
  return out;
}

/** The first line of an evaluation error, without the library's source excerpt. */
export function celErrorMessage(error: unknown): string {
  if (error instanceof Error) return ((error as CelLibraryError).summary ?? error.message).split("\n")[0] ?? error.message;
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
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (Array.isArray(value)) return value.map(fromCel);
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}

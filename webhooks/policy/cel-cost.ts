// CEL cost, bounded as kube-apiserver bounds admission policies: an estimate
// checked at load, and a meter at run time with a per-expression limit
// (celconfig.PerCallLimit, 1,000,000) and a per-review budget
// (celconfig.RuntimeCELCostBudget, 10,000,000). A unit is one evaluation step,
// an AST node evaluated by cel-js: cel-go's cost model in spirit (about one
// unit per operation), not its exact figures.
import type { ASTNode } from "@marcbachmann/cel-js";

export const PER_EXPRESSION_LIMIT = 1_000_000;
export const PER_REVIEW_LIMIT = 10_000_000;

/**
 * The list length the estimate assumes for a list it cannot size (object
 * fields, params, variables). kube-apiserver sizes such lists from schema
 * maxItems; pods' have none, and sizing them from the 3 MiB request limit
 * would refuse every comprehension. A list reached from an enclosing
 * comprehension's element (c.ports inside containers.all(c, ...)) is counted
 * as sharing that list's length: together they are items of one object.
 * Longer lists at run time are what the meter is for.
 */
export const ASSUMED_LIST_LENGTH = 1_000;

class CelCostExceeded extends Error {}

/** Where the bindings carry their review's meter (cel.ts): beside the variables, under a key CEL cannot name. */
export const METER: unique symbol = Symbol("the review's CEL cost meter");

/** One review's meter (one per evaluateAll): the expression being evaluated, and the review around it. */
export class CostMeter {
  #expression = 0;
  #review = 0;

  /** A new expression: the per-expression limit starts again. */
  beginExpression(): void {
    this.#expression = 0;
  }

  /** Ends the expression's metering, adding its use to the review's. */
  endExpression(): void {
    this.#review += this.#expression;
    this.#expression = 0;
  }

  charge(units: number): void {
    this.#expression += units;
    if (this.#expression > PER_EXPRESSION_LIMIT) {
      throw new CelCostExceeded(`CEL runtime cost limit exceeded: over ${PER_EXPRESSION_LIMIT.toLocaleString("en")} for this expression`);
    }
    if (this.#review + this.#expression > PER_REVIEW_LIMIT) {
      throw new CelCostExceeded(`CEL runtime cost budget exceeded: over ${PER_REVIEW_LIMIT.toLocaleString("en")} for this review`);
    }
  }
}

/** Macros that evaluate their body once per element (two-variable comprehensions bind two names). */
const MACROS = new Set(["all", "exists", "exists_one", "existsOne", "map", "filter", "transformList", "transformMap", "transformMapEntry", "sortBy"]);

/** Node count of an AST: what one evaluation of it costs, loops aside. */
export function nodeCount(node: ASTNode): number {
  let count = 1;
  for (const child of childrenOf(node)) count += nodeCount(child);
  return count;
}

function childrenOf(node: ASTNode): ASTNode[] {
  const args: unknown = node.args;
  const flat = Array.isArray(args) ? (args as unknown[]).flat(2) : [args];
  return flat.filter((c): c is ASTNode => typeof c === "object" && c !== null && "op" in c && "args" in c);
}

/** The identifier a selection chain starts from (c in c.ports.x), if it is one. */
function rootIdentifier(node: ASTNode): string | undefined {
  let current = node;
  for (;;) {
    if (current.op === "id") return current.args;
    if (current.op === "." || current.op === ".?" || current.op === "[]" || current.op === "[?]" || current.op === "rcall") {
      const first: unknown = (current.op === "rcall" ? (current.args as unknown[])[1] : (current.args as unknown[])[0]);
      if (typeof first !== "object" || first === null) return undefined;
      current = first as ASTNode;
      continue;
    }
    return undefined;
  }
}

/**
 * The estimated worst-case cost of an expression: node counts, with each
 * comprehension's body multiplied by its list's estimated length (a literal
 * list's or a params list's own length — params are known at load; one
 * reached from an enclosing element shares that element's list; a
 * concatenation the sum of its parts, a conditional its longer branch; any
 * other ASSUMED_LIST_LENGTH).
 */
export function estimateCost(ast: ASTNode, params: unknown): number {
  return estimate(ast, new Set(), params);
}

/** The value a chain of field selections from `params` reads (params.a.b), when params are known at load. */
function paramsValue(node: ASTNode, params: unknown): unknown {
  if (node.op === "id") return node.args === "params" ? params : undefined;
  if (node.op !== "." && node.op !== ".?") return undefined;
  const [object, key] = node.args;
  const value = paramsValue(object, params);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

function listLength(receiver: ASTNode, elements: ReadonlySet<string>, params: unknown): number {
  if (receiver.op === "list") return (receiver.args as unknown[]).length;
  // Concatenations add up, a conditional list is its longer branch (as cel-go's size estimates do).
  if (receiver.op === "+") return (receiver.args as ASTNode[]).reduce((sum, part) => sum + listLength(part, elements, params), 0);
  if (receiver.op === "?:") {
    const [, consequent, alternate] = receiver.args as ASTNode[];
    return Math.max(listLength(consequent!, elements, params), listLength(alternate!, elements, params));
  }
  const known = paramsValue(receiver, params);
  if (Array.isArray(known)) return known.length;
  const root = rootIdentifier(receiver);
  return root !== undefined && elements.has(root) ? 1 : ASSUMED_LIST_LENGTH;
}

function estimate(node: ASTNode, elements: ReadonlySet<string>, params: unknown): number {
  if (node.op === "rcall") {
    const [name, receiver, args] = node.args;
    if (MACROS.has(name) && args[0]?.op === "id") {
      const inner = new Set(elements);
      for (const arg of args) if (arg.op === "id") inner.add(arg.args);
      const body = args.slice(1).reduce((sum, arg) => sum + estimate(arg, inner, params), 0);
      return 1 + estimate(receiver, elements, params) + listLength(receiver, elements, params) * (1 + body);
    }
  }
  let cost = 1;
  for (const child of childrenOf(node)) cost += estimate(child, elements, params);
  return cost;
}

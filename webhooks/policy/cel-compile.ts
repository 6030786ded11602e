// CEL expressions compiled to JS closures, for the common case only.
// @marcbachmann/cel-js interprets the AST and resolves every `dyn` operand's
// type at run time; policies over pods use a small subset (field and optional
// selection, has, in, comparisons, && || !, the list macros, a few string
// methods) on JSON values whose types are plain. The closures handle exactly
// that: on anything else at run time — another type, a missing key, an error
// of any kind — they throw FALLBACK, and the caller evaluates the expression
// with cel-js instead, which gives the answer or the error CEL defines (error
// absorption by && || and the macros included). A construct outside the
// subset makes compileClosure return undefined: that expression always runs
// on cel-js. A differential property test holds the two to the same results.
//
// The closures read request JSON as it was parsed, not a converted copy:
// Kubernetes reads a JSON integer as a CEL int, so an integral number is
// turned into a bigint where it is read out of a list or map (`cel()`). That is
// exact because no closure ever makes an integral JS number itself: a double
// literal like 1.0 is left to cel-js, and double arithmetic with an integral
// result hands over. So in what closures see and make, an integral JS number
// is always a JSON integer not yet read. (Values cel-js made may hold such
// doubles; cel.ts keeps those from closures.)
import type { ASTNode } from "@marcbachmann/cel-js";
import { charge, nodeCount } from "./cel-cost.ts";

/** Thrown by a compiled closure when the interpreter must answer instead. */
export const FALLBACK: unique symbol = Symbol("cel fallback");

/** What a compiled closure sees: the bindings and the comprehension variables, one slot per nesting level. */
interface Scope {
  readonly bindings: Readonly<Record<string, unknown>>;
  readonly slots: unknown[];
}
type Closure = (scope: Scope) => unknown;

/** An optional's empty value inside compiled closures (optionals never leave them). */
const ABSENT: unique symbol = Symbol("absent");

class Unsupported extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function fallback(): never {
  throw FALLBACK;
}

/** A JSON object: what cel-js reads as a map. An own "constructor" key makes it something else there, so not here either. */
function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && (value).constructor === Object;
}

/** A value whose equality and order are JS's own for two of the same type. */
function isScalar(value: unknown): value is string | bigint | boolean | number {
  const type = typeof value;
  return type === "string" || type === "bigint" || type === "boolean" || type === "number";
}

/** A value read out of a list or map, as CEL has it: a JSON integer is an int. */
function cel(value: unknown): unknown {
  return typeof value === "number" && Number.isInteger(value) ? BigInt(value) : value;
}

function select(value: unknown, key: string): unknown {
  if (isMap(value) && Object.hasOwn(value, key)) {
    const field = value[key];
    if (field !== undefined) return cel(field);
  }
  return fallback();
}

/** `value.?key` as cel-js has it: a map's key or nothing; on lists and scalars always nothing. */
function selectOptional(value: unknown, key: string): unknown {
  if (isMap(value)) return Object.hasOwn(value, key) && value[key] !== undefined ? cel(value[key]) : ABSENT;
  if (value === null || Array.isArray(value) || isScalar(value)) return ABSENT;
  return fallback();
}

/** A computed double: an integral one would read as an int later, so cel-js computes it instead. */
function double(value: number): number {
  return Number.isInteger(value) ? fallback() : value;
}

function checkedInt(value: bigint): bigint {
  return value < INT64_MIN || value > INT64_MAX ? fallback() : value;
}

function bool(value: unknown): boolean {
  return typeof value === "boolean" ? value : fallback();
}

function string(value: unknown): string {
  return typeof value === "string" ? value : fallback();
}

/** What a macro iterates: a list's items or a map's keys. */
function iterable(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  if (isMap(value)) return Object.keys(value);
  return fallback();
}

function equal(left: unknown, right: unknown): boolean {
  if (typeof left === typeof right && isScalar(left)) return left === right;
  return fallback();
}

function compare(op: string, left: unknown, right: unknown): boolean {
  if (typeof left !== typeof right || !(typeof left === "string" || typeof left === "bigint" || typeof left === "number")) return fallback();
  const l = left;
  const r = right as string | bigint | number;
  switch (op) {
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    default:
      return l >= r;
  }
}

function contains(haystack: unknown, needle: unknown): boolean {
  if (Array.isArray(haystack)) {
    if (!isScalar(needle)) return fallback();
    for (const raw of haystack) {
      const item = cel(raw);
      if (typeof item !== typeof needle) return fallback();
      if (item === needle) return true;
    }
    return false;
  }
  if (isMap(haystack) && typeof needle === "string") return Object.hasOwn(haystack, needle);
  return fallback();
}

function add(left: unknown, right: unknown): unknown {
  if (typeof left === "string" && typeof right === "string") return left + right;
  if (typeof left === "bigint" && typeof right === "bigint") return checkedInt(left + right);
  if (typeof left === "number" && typeof right === "number") return double(left + right);
  if (Array.isArray(left) && Array.isArray(right)) return [...(left as unknown[]), ...(right as unknown[])];
  return fallback();
}

function subtract(left: unknown, right: unknown): unknown {
  if (typeof left === "bigint" && typeof right === "bigint") return checkedInt(left - right);
  if (typeof left === "number" && typeof right === "number") return double(left - right);
  return fallback();
}

/** CEL's size: code points of a string, items of a list, keys of a map. */
function size(value: unknown): bigint {
  if (typeof value === "string") {
    let count = 0;
    for (const _ of value) count++;
    return BigInt(count);
  }
  if (Array.isArray(value)) return BigInt(value.length);
  if (isMap(value)) return BigInt(Object.keys(value).length);
  return fallback();
}

/** CEL's string() of an int or a string; a double's formatting is left to cel-js. */
function text(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return value;
  return fallback();
}

function join(list: unknown, separator: string): string {
  if (!Array.isArray(list) || !list.every((item) => typeof item === "string")) return fallback();
  return list.join(separator);
}

function index(value: unknown, key: unknown): unknown {
  if (Array.isArray(value) && typeof key === "bigint" && key >= 0n && key < BigInt(value.length)) {
    const item: unknown = value[Number(key)];
    return item === undefined ? fallback() : cel(item);
  }
  if (typeof key === "string") return select(value, key);
  return fallback();
}

function children(node: ASTNode): readonly ASTNode[] {
  return node.args as readonly ASTNode[];
}

class Compiler {
  /** Comprehension variables in scope: name to slot. */
  readonly #locals = new Map<string, number>();
  /** Nesting of the comprehension being compiled: its variable's slot. */
  #depth = 0;
  readonly #variables: ReadonlySet<string>;

  constructor(variables: ReadonlySet<string>) {
    this.#variables = variables;
  }

  value(node: ASTNode): Closure {
    const args = node.args as unknown;
    switch (node.op) {
      case "value": {
        const literal = args;
        if (typeof literal === "number" && Number.isInteger(literal)) throw new Unsupported("integral double literal");
        return () => literal;
      }
      case "id":
        return this.#identifier(args as string);
      case ".": {
        const [receiver, key] = args as [ASTNode, string];
        // `variables` is read only by name: values cel-js made that closures must not see are kept beside it (cel.ts).
        const of = receiver.op === "id" && receiver.args === "variables" ? (s: Scope) => s.bindings["variables"] : this.value(receiver);
        return (s) => select(of(s), key);
      }
      case "[]": {
        const [receiver, key] = children(node);
        const of = this.value(receiver!);
        const at = this.value(key!);
        return (s) => index(of(s), at(s));
      }
      case "list": {
        const items = children(node).map((n) => this.value(n));
        return (s) => items.map((item) => item(s));
      }
      case "map":
        return this.#mapLiteral(args as readonly (readonly [ASTNode, ASTNode])[]);
      case "!_": {
        const operand = this.value(args as ASTNode);
        return (s) => !bool(operand(s));
      }
      case "-_": {
        const operand = this.value(args as ASTNode);
        return (s) => {
          const v = operand(s);
          if (typeof v === "bigint") return checkedInt(-v);
          return typeof v === "number" ? -v : fallback();
        };
      }
      case "&&":
      case "||": {
        const [l, r] = children(node).map((n) => this.value(n));
        const absorbing = node.op === "||";
        // Left first; an error on either side makes cel-js answer (it may absorb it).
        return (s) => (bool(l!(s)) === absorbing ? absorbing : bool(r!(s)));
      }
      case "?:": {
        const [c, a, b] = children(node).map((n) => this.value(n));
        return (s) => (bool(c!(s)) ? a!(s) : b!(s));
      }
      case "==":
      case "!=": {
        const [l, r] = children(node).map((n) => this.value(n));
        const negate = node.op === "!=";
        return (s) => equal(l!(s), r!(s)) !== negate;
      }
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const [l, r] = children(node).map((n) => this.value(n));
        const op = node.op;
        return (s) => compare(op, l!(s), r!(s));
      }
      case "in": {
        const [needle, haystack] = children(node).map((n) => this.value(n));
        return (s) => contains(haystack!(s), needle!(s));
      }
      case "+":
      case "-": {
        const [l, r] = children(node).map((n) => this.value(n));
        const apply = node.op === "+" ? add : subtract;
        return (s) => apply(l!(s), r!(s));
      }
      case "call":
        return this.#call(...(args as [string, readonly ASTNode[]]));
      case "rcall":
        return this.#method(...(args as [string, ASTNode, readonly ASTNode[]]));
      default:
        throw new Unsupported(node.op);
    }
  }

  /** An optional-valued expression: its value, or ABSENT. */
  optional(node: ASTNode): Closure {
    if (node.op !== ".?") throw new Unsupported(`optional ${node.op}`);
    const [receiver, key] = node.args;
    if (receiver.op === ".?") {
      const of = this.optional(receiver);
      return (s) => {
        const v = of(s);
        return v === ABSENT ? ABSENT : selectOptional(v, key);
      };
    }
    const of = this.value(receiver);
    return (s) => selectOptional(of(s), key);
  }

  #identifier(name: string): Closure {
    const slot = this.#locals.get(name);
    if (slot !== undefined) return (s) => s.slots[slot];
    if (!this.#variables.has(name) || name === "variables") throw new Unsupported(`identifier ${name}`);
    return (s) => cel(s.bindings[name] ?? fallback());
  }

  #mapLiteral(entries: readonly (readonly [ASTNode, ASTNode])[]): Closure {
    const compiled = entries.map(([key, value]) => {
      if (key.op !== "value" || typeof key.args !== "string" || FORBIDDEN_KEYS.has(key.args)) throw new Unsupported("map key");
      return [key.args, this.value(value)] as const;
    });
    if (new Set(compiled.map(([key]) => key)).size !== compiled.length) throw new Unsupported("duplicate map key");
    return (s) => {
      const out: Record<string, unknown> = {};
      for (const [key, value] of compiled) out[key] = value(s);
      return out;
    };
  }

  #call(name: string, args: readonly ASTNode[]): Closure {
    if (name === "size" && args.length === 1) {
      const of = this.value(args[0]!);
      return (s) => size(of(s));
    }
    if (name === "string" && args.length === 1) {
      const of = this.value(args[0]!);
      return (s) => text(of(s));
    }
    if (name === "has" && args.length === 1) return this.#has(args[0]!);
    throw new Unsupported(`function ${name}`);
  }

  /** has(a.b.c): every step but the last must exist (else cel-js errors); the last is the answer. */
  #has(argument: ASTNode): Closure {
    const keys: string[] = [];
    let node = argument;
    while (node.op === ".") {
      const [receiver, key] = node.args;
      keys.unshift(key);
      node = receiver;
    }
    if (keys.length === 0) throw new Unsupported("has() argument");
    const root = this.value(node);
    const last = keys.pop()!;
    return (s) => {
      let v = root(s);
      for (const key of keys) v = select(v, key);
      if (!isMap(v)) return fallback();
      return Object.hasOwn(v, last) && v[last] !== undefined;
    };
  }

  #method(name: string, receiver: ASTNode, args: readonly ASTNode[]): Closure {
    if (name === "orValue" && args.length === 1) {
      const of = this.optional(receiver);
      const otherwise = this.value(args[0]!);
      return (s) => {
        const v = of(s);
        return v === ABSENT ? otherwise(s) : v;
      };
    }
    if (name === "hasValue" && args.length === 0) {
      const of = this.optional(receiver);
      return (s) => of(s) !== ABSENT;
    }
    if (["all", "exists", "exists_one", "map", "filter"].includes(name)) return this.#macro(name, receiver, args);
    const of = this.value(receiver);
    if (name === "size" && args.length === 0) return (s) => size(of(s));
    if (name === "join" && args.length <= 1) {
      const separator = args[0] ? this.value(args[0]) : () => "";
      return (s) => join(of(s), string(separator(s)));
    }
    if (args.length !== 1) throw new Unsupported(`method ${name}/${args.length}`);
    const arg = this.value(args[0]!);
    const text = (f: (receiver: string, argument: string) => unknown): Closure => (s) => f(string(of(s)), string(arg(s)));
    switch (name) {
      case "contains":
        return text((r, a) => r.includes(a));
      case "startsWith":
        return text((r, a) => r.startsWith(a));
      case "endsWith":
        return text((r, a) => r.endsWith(a));
      case "indexOf":
        return text((r, a) => BigInt(r.indexOf(a)));
      case "lastIndexOf":
        return text((r, a) => BigInt(r.lastIndexOf(a)));
      case "split":
        return text((r, a) => r.split(a));
      default:
        throw new Unsupported(`method ${name}`);
    }
  }

  #macro(name: string, receiver: ASTNode, args: readonly ASTNode[]): Closure {
    const variable = args[0];
    if (variable?.op !== "id" || args.length < 2 || args.length > (name === "map" ? 3 : 2)) throw new Unsupported(`macro ${name}`);
    const items = this.value(receiver);
    const iterVar = variable.args;
    const slot = this.#depth++;
    const shadowed = this.#locals.get(iterVar);
    this.#locals.set(iterVar, slot);
    const [first, second] = args.slice(1).map((n) => this.value(n));
    this.#depth--;
    if (shadowed === undefined) this.#locals.delete(iterVar);
    else this.#locals.set(iterVar, shadowed);
    const predicate = first!;
    // The cost meter (cel-cost.ts) is charged per iteration at the body's node count: what cel-js would charge evaluating it.
    const perItem = 1 + args.slice(1).reduce((sum, node) => sum + nodeCount(node), 0);
    switch (name) {
      case "all":
      case "exists": {
        const stopAt = name === "exists";
        return (s) => {
          for (const item of iterable(items(s))) {
            charge(perItem);
            s.slots[slot] = cel(item);
            if (bool(predicate(s)) === stopAt) return stopAt;
          }
          return !stopAt;
        };
      }
      case "exists_one":
        return (s) => {
          let count = 0;
          for (const item of iterable(items(s))) {
            charge(perItem);
            s.slots[slot] = cel(item);
            if (bool(predicate(s))) count++;
          }
          return count === 1;
        };
      case "filter":
        return (s) => {
          const out: unknown[] = [];
          for (const item of iterable(items(s))) {
            charge(perItem);
            s.slots[slot] = cel(item);
            if (bool(predicate(s))) out.push(item);
          }
          return out;
        };
      default: {
        // map(x, t) or map(x, p, t)
        const transform = second ?? predicate;
        const filter = second ? predicate : undefined;
        return (s) => {
          const out: unknown[] = [];
          for (const item of iterable(items(s))) {
            charge(perItem);
            s.slots[slot] = cel(item);
            if (filter && !bool(filter(s))) continue;
            out.push(transform(s));
          }
          return out;
        };
      }
    }
  }
}

/**
 * The expression as a closure over its bindings, or undefined when it uses
 * something outside the compiled subset. The closure throws FALLBACK (and
 * only that) whenever the interpreter must answer.
 */
export function compileClosure(ast: ASTNode, variables: ReadonlySet<string>): ((bindings: Readonly<Record<string, unknown>>) => unknown) | undefined {
  let closure: Closure;
  try {
    closure = new Compiler(variables).value(ast);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
  return (bindings) => closure({ bindings, slots: [] });
}

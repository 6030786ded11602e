// List functions: Kubernetes' list library (k8s.io/apiserver/pkg/cel/library
// lists.go: isSorted, sum, min, max, indexOf, lastIndexOf) and cel-go's
// ext.Lists version 3 (slice, flatten, lists.range, distinct, reverse, sort,
// sortBy), which kube-apiserver 1.36 enables for admission policies.
import type { Environment } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { bindingMacro } from "./macro.ts";
import { celError, OVERRIDE_PREFIX, registerNamespace } from "./value.ts";
import { celCompare, celEquals, celIncludes, celTypeOf, isComparable } from "./values.ts";

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_UINT64 = (1n << 64n) - 1n;

function add(a: unknown, b: unknown): unknown {
  if (typeof a === "bigint" && typeof b === "bigint") {
    const sum = a + b;
    if (sum > MAX_INT64 || sum < MIN_INT64) throw celError("integer overflow");
    return sum;
  }
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (a instanceof UnsignedInt && b instanceof UnsignedInt) {
    const sum = a.valueOf() + b.valueOf();
    if (sum > MAX_UINT64) throw celError("unsigned integer overflow");
    return new UnsignedInt(sum);
  }
  if (a instanceof Duration && b instanceof Duration) return a.addDuration(b);
  throw celError(`no such overload: ${celTypeOf(a)} + ${celTypeOf(b)}`);
}

/** sum(): the first element starts the total; an empty list sums to the list type's zero, 0 for a list of unknown type. */
function sum(list: readonly unknown[]): unknown {
  if (list.length === 0) return 0n;
  return list.slice(1).reduce(add, list[0]);
}

/** min/max: the first of the extremes (cel-go replaces only on a strict win). */
function extreme(list: readonly unknown[], name: "min" | "max"): unknown {
  if (list.length === 0) throw celError(`${name} called on empty list`);
  let result = list[0];
  if (!isComparable(result)) throw celError(`no such overload: ${name} over ${celTypeOf(result)}`);
  for (const next of list.slice(1)) {
    const c = celCompare(result, next);
    if ((name === "min" && c === 1) || (name === "max" && c === -1)) result = next;
  }
  return result;
}

function isSorted(list: readonly unknown[]): boolean {
  for (let i = 1; i < list.length; i++) if (celCompare(list[i - 1], list[i]) === 1) return false;
  return true;
}

function slice(list: readonly unknown[], start: bigint, end: bigint): unknown[] {
  if (start < 0n || end < 0n) throw celError(`cannot slice(${start}, ${end}), negative indexes not supported`);
  if (start > end) throw celError(`cannot slice(${start}, ${end}), start index must be less than or equal to end index`);
  if (BigInt(list.length) < end) throw celError(`cannot slice(${start}, ${end}), list is length ${list.length}`);
  return list.slice(Number(start), Number(end));
}

function flatten(list: readonly unknown[], depth: bigint): unknown[] {
  if (depth < 0n) throw celError("level must be non-negative");
  return list.flatMap((v) => (Array.isArray(v) && depth > 0n ? flatten(v, depth - 1n) : [v]));
}

/** Sorts by the keys; they must be comparable and of one type. Stable (Go's sort.Slice is for lists up to 12). */
function sortByKeys(list: readonly unknown[], keys: readonly unknown[]): unknown[] {
  if (list.length === 0) return [];
  if (!isComparable(keys[0])) throw celError("list elements must be comparable");
  const type = celTypeOf(keys[0]);
  if (keys.some((k) => celTypeOf(k) !== type)) throw celError("list elements must have the same type");
  return list.map((_, i) => i).sort((i, j) => celCompare(keys[i], keys[j])).map((i) => list[i]);
}

function distinct(list: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of list) if (!celIncludes(out, v)) out.push(v);
  return out;
}

const sortBy = bindingMacro("sortBy", "list", (list, keyOf) => {
  if (!Array.isArray(list)) throw celError("sortBy() applies to lists");
  return sortByKeys(list, list.map(keyOf));
});

export function registerLists(env: Environment): void {
  env.registerFunction("list<A>.isSorted(): bool", isSorted);
  env.registerFunction("list<A>.sum(): A", sum);
  env.registerFunction("list<A>.min(): A", (l: unknown[]) => extreme(l, "min"));
  env.registerFunction("list<A>.max(): A", (l: unknown[]) => extreme(l, "max"));
  env.registerFunction(`list<A>.${OVERRIDE_PREFIX}indexOf(A): int`, (l: unknown[], v: unknown) => BigInt(l.findIndex((x) => celEquals(x, v))));
  env.registerFunction(`list<A>.${OVERRIDE_PREFIX}lastIndexOf(A): int`, (l: unknown[], v: unknown) => BigInt(l.findLastIndex((x) => celEquals(x, v))));
  env.registerFunction("list<A>.slice(int, int): list<A>", slice);
  env.registerFunction("list.flatten(): list", (l: unknown[]) => flatten(l, 1n));
  env.registerFunction("list.flatten(int): list", flatten);
  env.registerFunction(`${registerNamespace(env, "lists")}.range(int): list<int>`, (_: unknown, n: bigint) => Array.from({ length: n > 0n ? Number(n) : 0 }, (_, i) => BigInt(i)));
  env.registerFunction("list<A>.distinct(): list<A>", distinct);
  env.registerFunction("list<A>.reverse(): list<A>", (l: unknown[]) => [...l].reverse());
  env.registerFunction("list<A>.sort(): list<A>", (l: unknown[]) => sortByKeys(l, l));
  env.registerFunction("list.sortBy(ast, ast): list", sortBy);
}

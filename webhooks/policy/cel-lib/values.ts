// CEL's equality and ordering over cel-js values, as cel-go defines them:
// numbers compare across int, uint and double; lists and maps element by
// element; strings by code point (Go compares their UTF-8 bytes).
import { Optional } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { celError, KubernetesValue } from "./value.ts";

const isNumber = (v: unknown): v is bigint | number | UnsignedInt => typeof v === "bigint" || typeof v === "number" || v instanceof UnsignedInt;
const numeric = (v: bigint | number | UnsignedInt): bigint | number => (v instanceof UnsignedInt ? v.valueOf() : v);

/** -1, 0 or 1 across int, uint and double; undefined when a NaN is involved. */
function compareNumbers(a: bigint | number, b: bigint | number): number | undefined {
  if (typeof a === "number" && Number.isNaN(a)) return undefined;
  if (typeof b === "number" && Number.isNaN(b)) return undefined;
  // Mixed bigint/number comparisons are exact in JavaScript.
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareStrings(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

const durationNanos = (d: Duration) => d.seconds * 1_000_000_000n + BigInt(d.nanos);

/** The name of a value's CEL type, for "same type" checks and messages. */
export function celTypeOf(v: unknown): string {
  if (typeof v === "bigint") return "int";
  if (typeof v === "number") return "double";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (v === null) return "null_type";
  if (v instanceof UnsignedInt) return "uint";
  if (v instanceof Uint8Array) return "bytes";
  if (v instanceof Date) return "google.protobuf.Timestamp";
  if (v instanceof Duration) return "google.protobuf.Duration";
  if (v instanceof Optional) return "optional_type";
  if (v instanceof KubernetesValue) return v.celType;
  if (Array.isArray(v)) return "list";
  return "map";
}

/** cel-go's ordering (traits.Comparer): throws for values that have none. */
export function celCompare(a: unknown, b: unknown): number {
  if (isNumber(a) && isNumber(b)) {
    const c = compareNumbers(numeric(a), numeric(b));
    if (c === undefined) throw celError("NaN values cannot be ordered");
    return c;
  }
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "boolean" && typeof b === "boolean") return a === b ? 0 : a ? 1 : -1;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if (a instanceof Duration && b instanceof Duration) {
    const d = durationNanos(a) - durationNanos(b);
    return d === 0n ? 0 : d < 0n ? -1 : 1;
  }
  throw celError(`no such overload: ${celTypeOf(a)} and ${celTypeOf(b)} cannot be ordered`);
}

/** Values that order: the types cel-go's Comparer covers. */
export function isComparable(v: unknown): boolean {
  return isNumber(v) || typeof v === "string" || typeof v === "boolean" || v instanceof Uint8Array || v instanceof Date || v instanceof Duration;
}

function entriesOf(v: unknown): [unknown, unknown][] {
  return v instanceof Map ? [...(v as Map<unknown, unknown>).entries()] : Object.entries(v as object);
}

/** CEL's heterogeneous equality (ref.Val.Equal). */
export function celEquals(a: unknown, b: unknown): boolean {
  if (isNumber(a) && isNumber(b)) return compareNumbers(numeric(a), numeric(b)) === 0;
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b) === 0;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Duration && b instanceof Duration) return durationNanos(a) === durationNanos(b);
  if (a instanceof Optional && b instanceof Optional) return a.hasValue() === b.hasValue() && (!a.hasValue() || celEquals(a.value(), b.value()));
  if (a instanceof KubernetesValue || b instanceof KubernetesValue) {
    return a instanceof KubernetesValue && b instanceof KubernetesValue && a.constructor === b.constructor && a.equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  }
  if (a.constructor?.name === "Type" || b.constructor?.name === "Type") return a.constructor === b.constructor && (a as { name: string }).name === (b as { name: string }).name;
  const x = entriesOf(a);
  const y = entriesOf(b);
  return x.length === y.length && x.every(([k, v]) => y.some(([k2, v2]) => celEquals(k, k2) && celEquals(v, v2)));
}

/** Whether list holds a value equal to v. */
export const celIncludes = (list: readonly unknown[], v: unknown) => list.some((x) => celEquals(x, v));

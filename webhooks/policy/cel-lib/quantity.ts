// Kubernetes' quantity library for CEL (k8s.io/apiserver/pkg/cel/library
// quantity.go) on a port of resource.Quantity (k8s.io/apimachinery): exact
// values, and the same observable quirks — the string a parsed quantity keeps,
// the canonical form of computed ones, isInteger() false for any quantity
// Go holds as an arbitrary-precision decimal (e.g. "1.5Gi"), and
// asApproximateFloat() computed from Go's own mantissa and exponent.
import type { Environment } from "@marcbachmann/cel-js";
import { celError, KubernetesValue } from "./value.ts";

type Format = "DecimalExponent" | "BinarySI" | "DecimalSI";

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);
const fitsInt64 = (n: bigint) => n >= MIN_INT64 && n <= MAX_INT64;

const FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const DECIMAL_SUFFIXES: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

/** math.Pow10 as Go computes it (two table lookups), so approximate floats match bit for bit. */
const POW10 = Array.from({ length: 32 }, (_, i) => Number(`1e${i}`));
const POW10_POS32 = Array.from({ length: 10 }, (_, i) => Number(`1e${i * 32}`));
const POW10_NEG32 = Array.from({ length: 11 }, (_, i) => Number(`1e-${i * 32}`));
function goPow10(n: number): number {
  if (n >= 0 && n <= 308) return POW10_POS32[n >> 5]! * POW10[n & 31]!;
  if (n < 0 && n >= -323) return POW10_NEG32[-n >> 5]! / POW10[-n & 31]!;
  return n > 0 ? Infinity : 0;
}

const abs = (n: bigint) => (n < 0n ? -n : n);

/** Drops factors of base from |value| while it is at least base. */
function removeFactors(value: bigint, base: bigint): { value: bigint; times: number } {
  let result = abs(value);
  let times = 0;
  while (result >= base && result % base === 0n) {
    result /= base;
    times++;
  }
  return { value: value < 0n ? -result : result, times };
}

/**
 * resource.Quantity: value = unscaled × 10^exponent. `decimal` says Go holds it
 * as an inf.Dec rather than an int64 amount; `text` is the string Go keeps from
 * parsing (String() returns it as written).
 */
export class Quantity extends KubernetesValue {
  readonly celType = "kubernetes.Quantity";
  readonly unscaled: bigint;
  readonly exponent: number;
  readonly decimal: boolean;
  readonly format: Format;
  readonly text?: string;
  constructor(unscaled: bigint, exponent: number, decimal: boolean, format: Format, text?: string) {
    super();
    this.unscaled = unscaled;
    this.exponent = exponent;
    this.decimal = decimal;
    this.format = format;
    this.text = text;
  }

  get sign(): number {
    return this.unscaled === 0n ? 0 : this.unscaled > 0n ? 1 : -1;
  }

  compare(other: Quantity): number {
    const e = Math.min(this.exponent, other.exponent);
    const a = this.unscaled * 10n ** BigInt(this.exponent - e);
    const b = other.unscaled * 10n ** BigInt(other.exponent - e);
    return a === b ? 0 : a < b ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.compare(other) === 0;
  }

  /** AsInt64: only an int64 amount with no fraction that fits. */
  asInt64(): bigint | undefined {
    if (this.decimal || this.exponent < 0) return undefined;
    const value = this.unscaled * 10n ** BigInt(this.exponent);
    return fitsInt64(value) ? value : undefined;
  }

  asApproximateFloat(): number {
    const base = Number(this.unscaled);
    return this.exponent === 0 ? base : base * goPow10(this.exponent);
  }

  add(other: Quantity): Quantity {
    return combine(this, other, 1n);
  }

  sub(other: Quantity): Quantity {
    return combine(this, other, -1n);
  }

  toString(): string {
    return this.text ?? canonical(this);
  }
}

/** Quantity.Add / Quantity.Sub: int64 arithmetic while it fits, else decimal; a zero left side takes the right side's format. */
function combine(q: Quantity, y: Quantity, sign: 1n | -1n): Quantity {
  const format = q.unscaled === 0n ? y.format : q.format;
  const yv = sign * y.unscaled;
  if (!q.decimal && !y.decimal) {
    const sum = addInt64(q, yv, y.exponent);
    if (sum) return new Quantity(sum.value, sum.exponent, false, format);
  }
  const e = Math.min(q.exponent, y.exponent);
  const value = q.unscaled * 10n ** BigInt(q.exponent - e) + yv * 10n ** BigInt(y.exponent - e);
  return new Quantity(value, e, true, format);
}

/** int64Amount.Add; undefined where Go would overflow and fall back to inf.Dec. */
function addInt64(a: Quantity, bValue: bigint, bExponent: number): { value: bigint; exponent: number } | undefined {
  if (bValue === 0n) return { value: a.unscaled, exponent: a.exponent };
  if (a.unscaled === 0n) return { value: bValue, exponent: bExponent };
  let left = a.unscaled;
  let right = bValue;
  let exponent = a.exponent;
  if (a.exponent > bExponent) {
    left = a.unscaled * 10n ** BigInt(a.exponent - bExponent);
    if (!fitsInt64(left)) return undefined;
    exponent = bExponent;
  } else if (a.exponent < bExponent) {
    right = bValue * 10n ** BigInt(bExponent - a.exponent);
    if (!fitsInt64(right)) return undefined;
  }
  const sum = left + right;
  return fitsInt64(sum) ? { value: sum, exponent } : undefined;
}

/** Quantity.CanonicalizeBytes. */
function canonical(q: Quantity): string {
  if (q.unscaled === 0n) return "0";
  let format = q.format;
  if (format === "BinarySI") {
    const small = q.compare(new Quantity(-1024n, 0, false, "DecimalSI")) > 0 && q.compare(new Quantity(1024n, 0, false, "DecimalSI")) < 0;
    if (small || (q.exponent < 0 && q.unscaled % 10n ** BigInt(-q.exponent) !== 0n)) format = "DecimalSI";
  }
  if (format === "BinarySI") {
    const integer = q.exponent >= 0 ? q.unscaled * 10n ** BigInt(q.exponent) : q.unscaled / 10n ** BigInt(-q.exponent);
    const { value, times } = removeFactors(integer, 1024n);
    return `${value}${BINARY_BY_EXPONENT.get(times * 10) ?? ""}`;
  }
  const factors = removeFactors(q.unscaled, 10n);
  let value = factors.value;
  let exponent = q.exponent + factors.times;
  while (exponent % 3 !== 0) {
    value *= 10n;
    exponent--;
  }
  if (format === "DecimalSI") return `${value}${DECIMAL_BY_EXPONENT.get(exponent) ?? ""}`;
  return exponent === 0 ? `${value}` : `${value}e${exponent}`;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

interface Parts {
  readonly positive: boolean;
  /** The number as written, sign included. */
  readonly value: string;
  readonly num: string;
  readonly denom: string;
  readonly suffix: string;
}

/** parseQuantityString, step for step (its quirks decide what parses: "+", "." and "Mi" are zero). */
function split(str: string): Parts {
  const end = str.length;
  let pos = 0;
  let positive = true;
  if (str[0] === "-") {
    positive = false;
    pos++;
  } else if (str[0] === "+") pos++;
  while (pos < end && str[pos] === "0") pos++;
  if (pos >= end) return { positive, value: "0", num: "0", denom: "", suffix: "" };
  let i = pos;
  while (i < end && isDigit(str[i])) i++;
  if (i >= end) return { positive, value: str, num: str.slice(pos), denom: "", suffix: "" };
  const num = str.slice(pos, i) || "0";
  pos = i;
  let denom = "";
  if (str[pos] === ".") {
    pos++;
    i = pos;
    while (i < end && isDigit(str[i])) i++;
    denom = str.slice(pos, i);
    if (i >= end) return { positive, value: str, num, denom, suffix: "" };
    pos = i;
  }
  const value = str.slice(0, pos);
  const suffixStart = pos;
  while (pos < end && "eEinumkKMGTP".includes(str[pos]!)) pos++;
  if (pos < end && (str[pos] === "-" || str[pos] === "+")) pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos < end) throw new Error(FORMAT_WRONG);
  return { positive, value, num, denom, suffix: str.slice(suffixStart) };
}

function interpret(suffix: string): { base: 10 | 2; exponent: number; format: Format } {
  if (suffix in DECIMAL_SUFFIXES) return { base: 10, exponent: DECIMAL_SUFFIXES[suffix]!, format: "DecimalSI" };
  if (suffix in BINARY_SUFFIXES) return { base: 2, exponent: BINARY_SUFFIXES[suffix]!, format: "BinarySI" };
  if (suffix.length > 1 && (suffix[0] === "e" || suffix[0] === "E") && /^[+-]?\d+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (Number.isSafeInteger(exponent) && exponent >= -(2 ** 31) && exponent < 2 ** 31) return { base: 10, exponent, format: "DecimalExponent" };
  }
  throw new Error("unable to parse quantity's suffix");
}

/** resource.ParseQuantity. */
export function parseQuantity(text: string): Quantity {
  if (text === "") throw new Error(FORMAT_WRONG);
  if (text === "0") return new Quantity(0n, 0, false, "DecimalSI", "0");
  const { positive, value, num, denom, suffix } = split(text);
  const { base, exponent, format } = interpret(suffix);

  // Go's fast path: an int64 amount when the digits fit.
  let precision: number;
  let scale = 0;
  let mantissa = 1n;
  if (format === "BinarySI") {
    if (exponent >= 0 && denom.length === 0) {
      mantissa = 1n << BigInt(exponent);
      precision = 15 - num.length - Math.trunc(Math.fround(Math.fround(exponent) * 3) / 10) - 1;
    } else precision = -1;
  } else {
    scale = exponent;
    precision = 18 - (num.length + denom.length);
  }
  if (precision >= 0) {
    scale -= denom.length;
    if (scale >= -9) {
      const shifted = num + denom;
      const digits = BigInt(shifted);
      if (!fitsInt64(digits)) throw new Error("unable to parse numeric part of quantity");
      const product = digits * mantissa;
      if (fitsInt64(product)) {
        const result = positive ? product : -product;
        const keeps = format === "BinarySI" ? exponent % 10 === 0 && (digits & 7n) !== 0n : scale % 3 === 0 && !shifted.endsWith("000") && shifted[0] !== "0";
        return new Quantity(result, scale, false, format, keeps ? text : undefined);
      }
    }
  }

  // inf.Dec: the number as written, scaled by the suffix, rounded up to a nano, binary capped at int64.
  const written = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(value);
  if (!written || (written[1] === "" && (written[2] ?? "") === "")) throw new Error("unable to parse numeric part of quantity");
  let magnitude = BigInt(`${written[1]}${written[2] ?? ""}` || "0");
  let e = -(written[2] ?? "").length;
  if (base === 10) e += exponent;
  else magnitude <<= BigInt(exponent);
  // inf.Dec.Round gives the result exactly nine decimal places, padding as well as rounding.
  if (magnitude !== 0n && e < -9) {
    const divisor = 10n ** BigInt(-9 - e);
    magnitude = magnitude / divisor + (magnitude % divisor === 0n ? 0n : 1n);
    e = -9;
  } else if (magnitude !== 0n) {
    magnitude *= 10n ** BigInt(e + 9);
    e = -9;
  }
  let resultFormat = format;
  if (format === "BinarySI") {
    const capped = new Quantity(magnitude, e, true, format);
    if (capped.compare(new Quantity(MAX_INT64, 0, false, format)) > 0) {
      magnitude = MAX_INT64;
      e = 0;
    }
    if (magnitude !== 0n && new Quantity(magnitude, e, true, format).compare(new Quantity(1n, 0, false, format)) < 0) resultFormat = "DecimalSI";
  }
  const negative = value.startsWith("-");
  return new Quantity(negative ? -magnitude : magnitude, e, true, resultFormat);
}

export function registerQuantity(env: Environment): void {
  const Q = "kubernetes.Quantity";
  env.registerType(Q, Quantity);
  env.registerFunction(`quantity(string): ${Q}`, (s: string) => {
    try {
      return parseQuantity(s);
    } catch (error) {
      throw celError((error as Error).message);
    }
  });
  env.registerFunction("isQuantity(string): bool", (s: string) => {
    try {
      parseQuantity(s);
      return true;
    } catch {
      return false;
    }
  });
  env.registerFunction(`sign(${Q}): int`, (q: Quantity) => BigInt(q.sign));
  env.registerFunction(`${Q}.isGreaterThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compare(b) === 1);
  env.registerFunction(`${Q}.isLessThan(${Q}): bool`, (a: Quantity, b: Quantity) => a.compare(b) === -1);
  env.registerFunction(`${Q}.compareTo(${Q}): int`, (a: Quantity, b: Quantity) => BigInt(a.compare(b)));
  env.registerFunction(`${Q}.asApproximateFloat(): double`, (q: Quantity) => q.asApproximateFloat());
  env.registerFunction(`${Q}.isInteger(): bool`, (q: Quantity) => q.asInt64() !== undefined);
  env.registerFunction(`${Q}.asInteger(): int`, (q: Quantity) => {
    const value = q.asInt64();
    if (value === undefined) throw celError("cannot convert value to integer");
    return value;
  });
  env.registerFunction(`${Q}.add(${Q}): ${Q}`, (a: Quantity, b: Quantity) => a.add(b));
  env.registerFunction(`${Q}.add(int): ${Q}`, (a: Quantity, n: bigint) => a.add(new Quantity(n, 0, false, "DecimalExponent")));
  env.registerFunction(`${Q}.sub(${Q}): ${Q}`, (a: Quantity, b: Quantity) => a.sub(b));
  env.registerFunction(`${Q}.sub(int): ${Q}`, (a: Quantity, n: bigint) => a.sub(new Quantity(n, 0, false, "DecimalExponent")));
  env.registerOperator(`${Q} == ${Q}`, (a: Quantity, b: Quantity) => a.equals(b));
}

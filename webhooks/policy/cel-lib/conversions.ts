// int() and double() as cel-go converts: an int out of range is an error
// (cel-js wraps around), and so is a double string out of range (cel-js gives
// Infinity). Calls are renamed to these at compile time (cel-lib/index.ts).
import type { Environment } from "@marcbachmann/cel-js";
import { UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { celError, OVERRIDE_PREFIX } from "./value.ts";
import { celTypeOf } from "./values.ts";

const MAX_INT64 = (1n << 63n) - 1n;
const MIN_INT64 = -(1n << 63n);

function toInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (v instanceof UnsignedInt) {
    if (v.valueOf() > MAX_INT64) throw celError("integer overflow");
    return v.valueOf();
  }
  if (typeof v === "number") {
    // cel-go: the double must lie strictly inside int64's range (2^63 itself is out).
    if (!Number.isFinite(v) || v <= -(2 ** 63) || v >= 2 ** 63) throw celError("integer overflow");
    return BigInt(Math.trunc(v));
  }
  if (typeof v === "string") {
    if (!/^[+-]?\d+$/.test(v)) throw celError(`type conversion error from 'string' to 'int'`);
    const n = BigInt(v);
    if (n > MAX_INT64 || n < MIN_INT64) throw celError(`type conversion error from 'string' to 'int'`);
    return n;
  }
  if (v instanceof Date) return BigInt(Math.floor(v.getTime() / 1000));
  throw celError(`no such overload: int(${celTypeOf(v)})`);
}

/** strconv.ParseFloat: decimal (underscores between digits allowed) or hexadecimal, inf/infinity/nan in any case; out of range is an error. */
function parseDouble(s: string): number {
  const fail = () => celError("type conversion error from 'string' to 'double'");
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
  let value: number;
  if (hex) {
    const [, sign, whole = "", fraction = "", exponent] = hex;
    if (whole === "" && fraction === "") throw fail();
    value = (sign === "-" ? -1 : 1) * parseInt(`${whole}${fraction}` || "0", 16) * 2 ** (Number(exponent) - 4 * fraction.length);
  } else {
    // Underscores may separate digits, as in Go literals.
    const digits = "\\d(?:_?\\d)*";
    if (!new RegExp(`^[+-]?(${digits}(\\.(${digits})?)?|\\.${digits})([eE][+-]?${digits})?$`).test(s)) throw fail();
    value = Number(s.replaceAll("_", ""));
  }
  if (!Number.isFinite(value)) throw fail();
  return value;
}

function toDouble(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  if (v instanceof UnsignedInt) return Number(v.valueOf());
  if (typeof v === "string") return parseDouble(v);
  throw celError(`no such overload: double(${celTypeOf(v)})`);
}

export function registerConversions(env: Environment): void {
  env.registerFunction(`${OVERRIDE_PREFIX}int(dyn): int`, toInt);
  env.registerFunction(`${OVERRIDE_PREFIX}double(dyn): double`, toDouble);
}

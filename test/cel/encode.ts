// podgate's CEL values in the oracle's tagged form (test/cel/oracle/main.go):
// {"t": type, "v": value}, so both sides compare as plain JSON.
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { Optional } from "@marcbachmann/cel-js";
import { KubernetesValue } from "../../webhooks/policy/cel-lib/value.ts";

export interface Tagged {
  readonly t: string;
  readonly v?: unknown;
}

const tag = (t: string, v?: unknown): Tagged => (v === undefined ? { t } : { t, v });

/** Go's strconv.FormatFloat(seconds, 'f', -1, 64) + "s". */
function durationText(d: Duration): string {
  const seconds = Number(d.seconds) + d.nanos / 1e9;
  return `${seconds.toLocaleString("en-US", { useGrouping: false, maximumFractionDigits: 9 })}s`;
}

export function encodeCel(value: unknown): Tagged {
  switch (typeof value) {
    case "bigint":
      return tag("int", value.toString());
    case "number":
      return Number.isFinite(value) ? tag("double", value) : tag("double", Number.isNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf");
    case "string":
      return tag("string", value);
    case "boolean":
      return tag("bool", value);
  }
  if (value === null) return tag("null");
  if (value instanceof UnsignedInt) return tag("uint", value.valueOf().toString());
  if (value instanceof Uint8Array) return tag("bytes", Buffer.from(value).toString("base64"));
  if (value instanceof Date) return tag("timestamp", value.toISOString().replace(".000Z", "Z"));
  if (value instanceof Duration) return tag("duration", durationText(value));
  if (value instanceof Optional) return value.hasValue() ? tag("optional", encodeCel(value.value())) : tag("optional");
  if (value instanceof KubernetesValue) return tag(value.celType, value.toString());
  if (Array.isArray(value)) return tag("list", value.map(encodeCel));
  if (value instanceof Set) return tag("list", [...value].map(encodeCel));
  if (value instanceof Map || (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)) {
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const pairs = entries.map(([k, v]) => [encodeCel(k), encodeCel(v)] as const);
    pairs.sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
    return tag("map", pairs);
  }
  if (typeof value === "object" && value !== null && value.constructor?.name === "Type") return tag("type", (value as { name: string }).name);
  return tag(`unknown:${Object.prototype.toString.call(value)}`);
}

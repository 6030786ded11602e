// Per-pod overrides a template declares (image, cpu, memory, ...): each has a
// type, a default, and bounds; annotation values are checked against them.
import { z } from "zod";
import { parseQuantityNanos, QuantityError } from "../../src/resources.ts";

export type Value = string | number | boolean;
export type Parsed = { ok: true; value: Value } | { ok: false; message: string };

// registry/name[:tag][@digest]: lowercase repository path, optional host:port, tag, digest.
const IMAGE = /^(?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

function quantityNanos(text: string): bigint | string {
  try {
    return parseQuantityNanos(text);
  } catch (error) {
    if (error instanceof QuantityError) return error.message;
    throw error;
  }
}

const quantityText = z.string().refine((text) => typeof quantityNanos(text) === "bigint", { message: "expected a quantity, e.g. 100m, 128Mi, 1Gi" });

/** The whole value must match; undefined for a pattern that does not compile. */
function anchored(pattern: string): RegExp | undefined {
  try {
    const regex = new RegExp(`^(?:${pattern})$`, "u");
    // V8 compiles lazily: a pattern too large to compile only throws on its first use.
    regex.test("");
    return regex;
  } catch {
    return undefined;
  }
}

const validRegex = z.string().refine((source) => anchored(source) !== undefined, "expected a valid regular expression");

export const valueSpec = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("string"), default: z.string(), pattern: validRegex.optional(), enum: z.array(z.string()).min(1).optional() }),
  z.strictObject({ type: z.literal("image"), default: z.string() }),
  z.strictObject({ type: z.literal("quantity"), default: z.string(), min: quantityText.optional(), max: quantityText.optional() }),
  z.strictObject({ type: z.literal("integer"), default: z.number().int(), min: z.number().int().optional(), max: z.number().int().optional() }),
  z.strictObject({ type: z.literal("boolean"), default: z.boolean() }),
]);
export type ValueSpec = z.infer<typeof valueSpec>;

/** Names that fix their type, so `sidecar.podgate.io/cpu` means the same thing in every template. */
export const CONVENTIONAL_TYPES: Readonly<Record<string, ValueSpec["type"]>> = { image: "image", cpu: "quantity", memory: "quantity" };

function parseString(spec: Extract<ValueSpec, { type: "string" }>, text: string): Parsed {
  if (spec.enum && !spec.enum.includes(text)) return { ok: false, message: `expected one of ${spec.enum.join(", ")}` };
  // A pattern that does not compile is reported at load by its own schema.
  if (spec.pattern !== undefined && anchored(spec.pattern)?.test(text) !== true) return { ok: false, message: `expected to match ${spec.pattern}` };
  return { ok: true, value: text };
}

function parseQuantityValue(spec: Extract<ValueSpec, { type: "quantity" }>, text: string): Parsed {
  const nanos = quantityNanos(text);
  if (typeof nanos === "string") return { ok: false, message: "expected a quantity, e.g. 100m, 128Mi, 1Gi" };
  if (nanos < 0n) return { ok: false, message: "expected a quantity >= 0" };
  // A malformed bound is reported by its own schema; here it just bounds nothing.
  const min = spec.min === undefined ? undefined : quantityNanos(spec.min);
  const max = spec.max === undefined ? undefined : quantityNanos(spec.max);
  if (typeof min === "bigint" && nanos < min) return { ok: false, message: `expected at least ${spec.min}` };
  if (typeof max === "bigint" && nanos > max) return { ok: false, message: `expected at most ${spec.max}` };
  return { ok: true, value: text };
}

function parseInteger(spec: Extract<ValueSpec, { type: "integer" }>, text: string): Parsed {
  if (!/^[+-]?\d{1,15}$/.test(text)) return { ok: false, message: "expected an integer" };
  const n = Number(text);
  if (spec.min !== undefined && n < spec.min) return { ok: false, message: `expected at least ${spec.min}` };
  if (spec.max !== undefined && n > spec.max) return { ok: false, message: `expected at most ${spec.max}` };
  return { ok: true, value: n };
}

/** Reads an annotation's text as the declared type; never throws for user input. */
export function parseValue(spec: ValueSpec, text: string): Parsed {
  switch (spec.type) {
    case "string":
      return parseString(spec, text);
    case "image":
      return IMAGE.test(text) && text.length <= 512 ? { ok: true, value: text } : { ok: false, message: "expected an image reference, e.g. registry/name:tag" };
    case "quantity":
      return parseQuantityValue(spec, text);
    case "integer":
      return parseInteger(spec, text);
    case "boolean":
      return text === "true" || text === "false" ? { ok: true, value: text === "true" } : { ok: false, message: 'expected "true" or "false"' };
  }
}

/** The default, checked by the same rules as an annotation would be. */
export function checkDefault(spec: ValueSpec): Parsed {
  return parseValue(spec, String(spec.default));
}

// cel-go's ext.Strings version 2 (what kube-apiserver 1.36 enables): charAt,
// indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split, substring,
// trim, join, strings.quote and format, on code points as Go's runes, plus
// string() of a double printed as Go prints it. Where cel-js has a function
// of the same name with other semantics, ours is registered under an internal
// name that compile-time renaming points calls to (cel-lib/index.ts).
import type { ASTNode, Environment } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import type { Checker, Evaluator, MacroCall } from "./macro.ts";
import { celError, KubernetesValue, OVERRIDE_PREFIX, registerNamespace } from "./value.ts";
import { celCompare, celTypeOf } from "./values.ts";



const runes = (s: string) => [...s];

function charAt(s: string, index: bigint): string {
  const r = runes(s);
  if (index < 0n || index > BigInt(r.length)) throw celError(`index out of range: ${index}`);
  return r[Number(index)] ?? "";
}

function indexOf(s: string, sub: string, offset = 0n): bigint {
  if (sub === "") return offset;
  if (offset < 0n) throw celError(`index out of range: ${offset}`);
  const r = runes(s);
  const needle = runes(sub);
  for (let i = Number(offset); i <= r.length - needle.length; i++) if (needle.every((c, j) => r[i + j] === c)) return BigInt(i);
  return -1n;
}

function lastIndexOf(s: string, sub: string, offset?: bigint): bigint {
  const r = runes(s);
  const from = offset ?? BigInt(r.length);
  if (sub === "") return from;
  if (from < 0n) throw celError(`index out of range: ${from}`);
  const needle = runes(sub);
  if (offset !== undefined && from >= BigInt(r.length)) return -1n;
  for (let i = Math.min(Number(from), r.length - needle.length); i >= 0; i--) if (needle.every((c, j) => r[i + j] === c)) return BigInt(i);
  return -1n;
}

function substring(s: string, start: bigint, end?: bigint): string {
  const r = runes(s);
  const stop = end ?? BigInt(r.length);
  if (start < 0n || start > BigInt(r.length)) throw celError(`index out of range: ${start}`);
  if (stop < 0n || stop > BigInt(r.length)) throw celError(`index out of range: ${stop}`);
  if (start > stop) throw celError(`invalid substring range. start: ${start}, end: ${stop}`);
  return r.slice(Number(start), Number(stop)).join("");
}

/** strings.Replace: an empty old string matches before every rune and at the end. */
function replace(s: string, old: string, replacement: string, n = -1n): string {
  if (n === 0n || old === replacement) return s;
  const parts = old === "" ? ["", ...runes(s)] : s.split(old);
  const limit = n < 0n ? Infinity : Number(n);
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i++) out += (i <= limit ? replacement : old) + parts[i]!;
  if (old === "" && parts.length <= limit) out += replacement;
  return out;
}

/** strings.SplitN: n == 0 is no parts, n < 0 all of them; an empty separator splits into runes. */
function split(s: string, sep: string, n = -1n): string[] {
  if (n === 0n) return [];
  const all = sep === "" ? runes(s) : s.split(sep);
  if (n < 0n || BigInt(all.length) <= n) return all;
  const head = all.slice(0, Number(n) - 1);
  return [...head, all.slice(Number(n) - 1).join(sep)];
}

/** Go's unicode.IsSpace, which strings.TrimSpace uses. */
const SPACE = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const TRIM = new RegExp(`^${SPACE}+|${SPACE}+$`, "gu");

const asciiCase = (s: string, upper: boolean) => s.replace(upper ? /[a-z]+/g : /[A-Z]+/g, (m) => (upper ? m.toUpperCase() : m.toLowerCase()));

function quote(s: string): string {
  const escapes: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"' };
  return `"${[...s.toWellFormed()].map((c) => escapes[c] ?? c).join("")}"`;
}

/** The exact decimal expansion of a double: its digits and where the point goes. */
function exactDecimal(x: number): { negative: boolean; digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exponent = exponentBits - 1075;
  if (exponentBits === 0) exponent = -1074;
  else mantissa |= 1n << 52n;
  if (exponent >= 0) {
    const digits = (mantissa << BigInt(exponent)).toString();
    return { negative, digits, point: digits.length };
  }
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString();
  return { negative, digits, point: digits.length + exponent };
}

/** x with `precision` decimals, rounded half to even on its exact value (Go's %.Nf). */
function fixed(x: number, precision: number, grouping: boolean): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? (grouping ? "∞" : "+Inf") : grouping ? "-∞" : "-Inf";
  const { negative, digits, point } = exactDecimal(x);
  const padded = point <= 0 ? "0".repeat(1 - point) + digits : digits;
  const p = point <= 0 ? 1 : point;
  let kept = BigInt(padded.slice(0, p + precision).padEnd(p + precision, "0") || "0");
  const rest = padded.slice(p + precision);
  const half = rest === "" ? -1 : rest[0]! > "5" || (rest[0] === "5" && /[1-9]/.test(rest.slice(1))) ? 1 : rest[0] === "5" ? 0 : -1;
  if (half === 1 || (half === 0 && kept % 2n === 1n)) kept += 1n;
  const text = kept.toString().padStart(precision + 1, "0");
  let whole = text.slice(0, text.length - precision);
  if (grouping) whole = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  const body = precision > 0 ? `${whole}.${text.slice(text.length - precision)}` : whole;
  // The locale printer shows no sign on a value that rounds to zero.
  return negative && (!grouping || kept !== 0n) ? `-${body}` : body;
}

const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";

/** %e through golang.org/x/text's printer: six decimals, ×10 and a superscript exponent. */
function scientific(x: number): string {
  if (!Number.isFinite(x)) return fixed(x, 0, true);
  const [mantissa, exponent] = x.toExponential(6).split("e") as [string, string];
  const e = Number(exponent);
  const digits = String(Math.abs(e)).padStart(2, "0");
  return `${mantissa}×10${e < 0 ? "⁻" : ""}${[...digits].map((d) => SUPERSCRIPT[Number(d)]).join("")}`;
}

/**
 * strconv.FormatFloat(x, style, -1, 64): the shortest digits that round-trip,
 * 'g' switching to exponent form below 1e-4 and from 1e6 on, 'f' never.
 */
function goFloat(x: number, style: "g" | "f" = "g"): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "+Inf" : "-Inf";
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  const [mantissa, exponentText] = Math.abs(x).toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  if (style === "g" && (exponent < -4 || exponent >= 6)) return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  const digits = mantissa.replace(".", "");
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}${fraction ? `.${fraction}` : ""}`;
}

const timestampText = (t: Date) => t.toISOString().replace(/\.?0+Z$/, "Z");
const durationText = (d: Duration) => `${goFloat(Number(d.seconds) + d.nanos / 1e9, "f")}s`;

function bytesText(b: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(b);
  } catch {
    throw celError("invalid UTF-8 in bytes, cannot convert to string");
  }
}

/** Go's %q: printable runes kept, the rest escaped. */
function goQuote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u00ad\u2028\u2029]/g, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}

/** CEL's string() of a value, as FormatString gives it for %s. */
function formatString(v: unknown): string {
  if (Array.isArray(v)) return formatList(v);
  if (v instanceof Map || (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype)) return formatMap(v);
  if (typeof v === "bigint" || v instanceof UnsignedInt) return v.toString();
  if (typeof v === "number") return goFloat(v);
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return String(v);
  if (v === null) return "null";
  if (v instanceof Date) return timestampText(v);
  if (v instanceof Uint8Array) return bytesText(v);
  if (v instanceof Duration) return durationText(v);
  if (typeof v === "object" && v.constructor?.name === "Type") return (v as { name: string }).name;
  throw celError(`error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given ${celTypeOf(v)}`);
}

/** A member of a formatted list or map: clauseForType, then quoted as a CEL literal. */
function member(v: unknown): string {
  if (typeof v === "bigint" || v instanceof UnsignedInt) return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? fixed(v, 6, false) : `"${fixed(v, 6, false)}"`;
  if (typeof v === "string") return goQuote(v);
  if (v instanceof Uint8Array) return `b${goQuote(bytesText(v))}`;
  if (v instanceof Date) return `timestamp(${goQuote(timestampText(v))})`;
  if (v instanceof Duration) return `duration(${goQuote(durationText(v))})`;
  return formatString(v);
}

const formatList = (list: readonly unknown[]) => `[${list.map(member).join(", ")}]`;

function formatMap(map: object): string {
  const entries = map instanceof Map ? [...(map as Map<unknown, unknown>).entries()] : Object.entries(map);
  const pairs = entries.map(([k, v]) => {
    if (typeof k !== "string" && typeof k !== "boolean" && typeof k !== "bigint" && !(k instanceof UnsignedInt)) throw celError(`no formatting function for map key of type ${celTypeOf(k)}`);
    return [typeof k === "string" ? goQuote(k) : String(k), member(v)] as const;
  });
  pairs.sort((a, b) => celCompare(a[0], b[0]));
  return `{${pairs.map(([k, v]) => `${k}:${v}`).join(", ")}}`;
}

const integer = (v: unknown, clause: string): bigint => {
  if (typeof v === "bigint") return v;
  if (v instanceof UnsignedInt) return v.valueOf();
  throw celError(`error during formatting: ${clause} clause can only be used on integers, was given ${celTypeOf(v)}`);
};

function double(v: unknown, clause: string): number {
  if (typeof v === "number") return v;
  if (v === "NaN" || v === "Infinity" || v === "-Infinity") return Number(v);
  throw celError(`error during formatting: ${clause} clause can only be used on doubles, was given ${celTypeOf(v)}`);
}

const hex = (v: unknown, upper: boolean) => {
  const text =
    typeof v === "string" ? Buffer.from(v).toString("hex") : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : (() => {
      const n = integer(v, "hex");
      return (n < 0n ? "-" : "") + (n < 0n ? -n : n).toString(16);
    })();
  return upper ? text.toUpperCase() : text;
};

const radix = (v: unknown, base: 2 | 8, clause: string) => {
  if (base === 2 && typeof v === "boolean") return v ? "1" : "0";
  const n = integer(v, clause);
  return (n < 0n ? "-" : "") + (n < 0n ? -n : n).toString(base);
};

type Piece = { readonly text: string } | { readonly verb: string; readonly precision: number | undefined };

/** A format string's literal text and clauses (%s %d %f %e %b %x %X %o, an optional .precision; %% is a literal %). */
function parseTemplate(template: string): Piece[] {
  const pieces: Piece[] = [];
  let text = "";
  for (let i = 0; i < template.length; i++) {
    if (template[i] !== "%") {
      text += template[i];
      continue;
    }
    if (template[i + 1] === "%") {
      text += "%";
      i++;
      continue;
    }
    if (i + 1 >= template.length) throw celError("unexpected end of string");
    const clause = /^(?:\.(\d*))?(.)/su.exec(template.slice(i + 1));
    if (!clause) throw celError("could not parse formatting clause: could not find end of precision specifier");
    const precision = clause[1] === undefined ? undefined : Number(clause[1] || Number.NaN);
    if (Number.isNaN(precision)) throw celError("could not parse formatting clause: error while parsing precision");
    if (!"sdfebxXo".includes(clause[2]!)) throw celError(`could not parse formatting clause: unrecognized formatting clause "${clause[2]}"`);
    if (text) pieces.push({ text });
    text = "";
    pieces.push({ verb: clause[2]!, precision });
    i += clause[0].length;
  }
  if (text) pieces.push({ text });
  return pieces;
}

function formatClause(verb: string, precision: number | undefined, arg: unknown): string {
  switch (verb) {
    case "s":
      return formatString(arg);
    case "d":
      return integer(arg, "decimal").toString();
    case "f":
      return fixed(double(arg, "fixed-point"), precision ?? 6, true);
    case "e":
      return scientific(double(arg, "scientific"));
    case "b":
      return radix(arg, 2, "binary");
    case "o":
      return radix(arg, 8, "octal");
    default:
      return hex(arg, verb === "X");
  }
}

/** string.format(list). */
function format(template: string, args: readonly unknown[]): string {
  let next = 0;
  return parseTemplate(template)
    .map((piece) => {
      if ("text" in piece) return piece.text;
      if (next >= args.length) throw celError(`index ${next} out of range`);
      return formatClause(piece.verb, piece.precision, args[next++]);
    })
    .join("");
}

/** The types each clause takes, as cel-go's compile-time check of a literal format call knows them (dyn always passes). */
const CLAUSE_TYPES: Readonly<Record<string, readonly string[]>> = {
  s: ["list", "map", "int", "uint", "double", "bool", "string", "google.protobuf.Timestamp", "bytes", "google.protobuf.Duration", "type", "null"],
  d: ["int", "uint"],
  f: ["double", "string"],
  e: ["double", "string"],
  b: ["int", "uint", "bool"],
  x: ["int", "uint", "string", "bytes"],
  X: ["int", "uint", "string", "bytes"],
  o: ["int", "uint"],
};
const CLAUSE_NAMES: Readonly<Record<string, string>> = { s: "string", d: "decimal", f: "fixed-point", e: "scientific", b: "binary", x: "hex", X: "hex", o: "octal" };

/** The kind of a checked node's type: "list" for list<int>, the name otherwise. */
const kindOf = (node: ASTNode) => ((node as unknown as { checkedType?: { name: string } }).checkedType?.name ?? "dyn").replace(/<.*$/s, "");

/** A node %s can print, and for a literal list or map, each of its elements too. */
function printable(node: ASTNode): ASTNode | undefined {
  const kind = kindOf(node);
  if (kind !== "dyn" && !CLAUSE_TYPES["s"]!.includes(kind)) return node;
  const children = node.op === "list" ? (node.args) : node.op === "map" ? (node.args as [ASTNode, ASTNode][]).flat() : [];
  for (const child of children) {
    const bad = printable(child);
    if (bad) return bad;
  }
  return undefined;
}

/**
 * cel-go's compile-time check of `'literal'.format([literal list])`: every
 * clause has an argument of a type it prints, and no argument is left over.
 */
function checkLiteralFormat(template: string, elements: readonly ASTNode[]): string | undefined {
  let next = 0;
  for (const piece of parseTemplate(template)) {
    if ("text" in piece) continue;
    if (next >= elements.length) return `index ${next} out of range`;
    const arg = elements[next++]!;
    const bad = piece.verb === "s" ? printable(arg) : ["dyn", ...CLAUSE_TYPES[piece.verb]!].includes(kindOf(arg)) ? undefined : arg;
    if (bad) return `error during formatting: ${CLAUSE_NAMES[piece.verb]} clause can not be used on ${kindOf(bad)}`;
  }
  return next < elements.length ? `too many arguments supplied to string.format (expected ${next}, got ${elements.length})` : undefined;
}

/**
 * format's argument list is exempt from the homogeneous-literal rule (cel-go
 * exempts it): a literal list is checked and evaluated element by element.
 */
function formatMacro({ args, receiver }: MacroCall) {
  const list = args[0]!;
  const elements = list.op === "list" ? (list.args) : undefined;
  return {
    typeCheck(checker: Checker, _macro: unknown, ctx: unknown) {
      checker.check(receiver, ctx);
      for (const e of elements ?? [list]) checker.check(e, ctx);
      if (elements && receiver.op === "value" && typeof receiver.args === "string") {
        let problem: string | undefined;
        try {
          problem = checkLiteralFormat(receiver.args, elements);
        } catch (error) {
          problem = (error as Error).message;
        }
        if (problem) throw checker.createError("invalid_format", problem, receiver);
      }
      return checker.getType("string");
    },
    evaluate(ev: Evaluator, _macro: unknown, ctx: unknown) {
      const template = ev.run(receiver, ctx);
      const values = elements ? elements.map((e) => ev.run(e, ctx)) : ev.run(list, ctx);
      if (typeof template !== "string" || !Array.isArray(values)) throw celError("format() applies to a string and takes a list");
      return format(template, values);
    },
  };
}

/** String conversions cel-js prints otherwise (doubles) or lacks (Kubernetes types go through their own string()). */
function toStringValue(v: unknown): string {
  if (v instanceof KubernetesValue) return v.toString();
  return formatString(v);
}

export function registerStrings(env: Environment): void {
  const o = OVERRIDE_PREFIX;
  env.registerFunction("string.charAt(int): string", charAt);
  env.registerFunction(`string.${o}indexOf(string): int`, (s: string, t: string) => indexOf(s, t));
  env.registerFunction(`string.${o}indexOf(string, int): int`, indexOf);
  env.registerFunction(`string.${o}lastIndexOf(string): int`, (s: string, t: string) => lastIndexOf(s, t));
  env.registerFunction(`string.${o}lastIndexOf(string, int): int`, lastIndexOf);
  env.registerFunction(`string.${o}lowerAscii(): string`, (s: string) => asciiCase(s, false));
  env.registerFunction(`string.${o}upperAscii(): string`, (s: string) => asciiCase(s, true));
  env.registerFunction("string.replace(string, string): string", (s: string, a: string, b: string) => replace(s, a, b));
  env.registerFunction("string.replace(string, string, int): string", replace);
  env.registerFunction(`string.${o}split(string): list<string>`, (s: string, sep: string) => split(s, sep));
  env.registerFunction(`string.${o}split(string, int): list<string>`, split);
  env.registerFunction(`string.${o}substring(int): string`, (s: string, start: bigint) => substring(s, start));
  env.registerFunction(`string.${o}substring(int, int): string`, substring);
  env.registerFunction(`string.${o}trim(): string`, (s: string) => s.replace(TRIM, ""));
  env.registerFunction(`${registerNamespace(env, "strings")}.quote(string): string`, (_: unknown, s: string) => quote(s));
  env.registerFunction("string.format(ast): string", formatMacro);
  env.registerFunction(`${o}string(dyn): string`, toStringValue);
}


// The types MutatingAdmissionPolicy expressions build their patches with
// (k8s.io/apiserver/pkg/cel/mutation): `Object{...}`, `Object.<path>{...}`
// and `JSONPatch{op, path, from, value}`, and `jsonpatch.escapeKey`.
//
// cel-js has no struct literal syntax, so a mutation's source is rewritten
// before parsing: `Object.spec{containers: x}` becomes
// `__k8s_Object("Object.spec", {"containers": dyn(x)})` (dyn keeps the map
// literal homogeneous, as struct fields need not be). Offsets are mapped back
// so errors point at what the user wrote. As upstream, Object types carry no
// schema: their fields are checked when the patch is applied.
import { Optional, type Environment } from "@marcbachmann/cel-js";
import { celError, KubernetesValue, OVERRIDE_PREFIX, registerNamespace } from "../cel-lib/value.ts";
import type { Json } from "./apply.ts";
import type { JsonPatchOperation } from "./json-patch.ts";
import { tokenize, type Token } from "../cel-tokens.ts";

const OBJECT = "Object";
const JSONPATCH = "JSONPatch";

/** An `Object` (or `Object.<path>`) literal's value: its type name and the fields it set. */
class ObjectValue {
  readonly typeName: string;
  readonly fields: Readonly<Record<string, unknown>>;
  constructor(typeName: string, fields: Readonly<Record<string, unknown>>) {
    this.typeName = typeName;
    this.fields = fields;
  }
}

/** A `JSONPatch` literal's value. */
class JsonPatchValue {
  readonly fields: Readonly<Record<string, unknown>>;
  constructor(fields: Readonly<Record<string, unknown>>) {
    this.fields = fields;
  }
}

/** Fields as set: `?name` fields only when their optional has a value. */
function setFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!key.startsWith("?")) out[key] = value;
    else if (!(value instanceof Optional)) throw celError(`optional field ${key.slice(1)} must be given an optional value`);
    else if (value.hasValue()) out[key.slice(1)] = value.value();
  }
  return out;
}

const JSONPATCH_FIELDS = new Set(["op", "path", "from", "value"]);

export function registerPatchTypes(env: Environment): void {
  env.registerType(OBJECT, ObjectValue);
  env.registerType(JSONPATCH, JsonPatchValue);
  env.registerFunction(`${OVERRIDE_PREFIX}${OBJECT}(string, map<string, dyn>): ${OBJECT}`, (name: string, fields: Record<string, unknown>) => new ObjectValue(name, setFields(fields)));
  env.registerFunction(`${OVERRIDE_PREFIX}${JSONPATCH}(map<string, dyn>): ${JSONPATCH}`, (fields: Record<string, unknown>) => {
    const set = setFields(fields);
    for (const [key, value] of Object.entries(set)) {
      if (!JSONPATCH_FIELDS.has(key)) throw celError(`unexpected JSONPatchType field: ${key}`);
      if (key !== "value" && typeof value !== "string") throw celError(`unexpected type ${typeof value} for JSONPatchType '${key}' field`);
    }
    return new JsonPatchValue(set);
  });
  env.registerFunction(`${registerNamespace(env, "jsonpatch")}.escapeKey(string): string`, (_: unknown, key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1"));
}

/** The JSON a patch value stands for; Object literals' type names must follow their field path (CheckTypeNamesMatchFieldPathNames). */
function toJson(value: unknown, typePath: string | undefined = undefined): Json {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "bigint" || typeof value === "number") return Number(value);
  if (value instanceof ObjectValue) {
    const expected = typePath ?? value.typeName;
    if (value.typeName !== expected) throw celError(`type mismatch: unexpected type name "${value.typeName}", expected "${expected}", which matches field name path from root Object type`);
    return Object.fromEntries(Object.entries(value.fields).map(([k, v]) => [k, toJson(v, `${expected}.${k}`)]));
  }
  if (Array.isArray(value)) return value.map((v) => toJson(v, typePath));
  if (value instanceof Map) {
    return Object.fromEntries(
      [...value].map(([k, v]) => {
        if (typeof k !== "string") throw celError(`map key ${String(k)} is of type ${typeof k}, not string`);
        return [k, toJson(v, typePath)];
      }),
    );
  }
  if (value instanceof KubernetesValue || value instanceof Optional || value instanceof JsonPatchValue || value instanceof Uint8Array || typeof value !== "object") {
    throw celError(`a value of type ${value instanceof KubernetesValue ? value.celType : typeof value} cannot be part of a patch: convert it to a string, number, list or map`);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJson(v, typePath)]));
}

/**
 * kube-apiserver 1.36 converts a JSONPatch value that is a list or map through cel-go's
 * structpb conversion, which panics on an Object{} item (ObjectVal converts to a Struct
 * where a Value is wanted) and answers the request with HTTP 500. Such a value is refused
 * here, so a policy that would crash the apiserver's request fails visibly offline.
 */
function refuseObjectsInCollections(value: unknown): void {
  if (value instanceof ObjectValue) throw celError("a JSONPatch value that is a list or map holding Object{} values makes kube-apiserver 1.36 fail the request (HTTP 500): write those items as maps, or add them one by one");
  if (Array.isArray(value)) value.forEach(refuseObjectsInCollections);
  else if (value instanceof Map) [...value.values()].forEach(refuseObjectsInCollections);
  else if (isPlainMap(value)) Object.values(value).forEach(refuseObjectsInCollections);
}

/** A CEL map as cel-js keeps a literal one: a plain object. */
const isPlainMap = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null);

/** A JSONPatch expression's list as operations. */
export function toOperations(value: unknown): JsonPatchOperation[] {
  if (!Array.isArray(value)) throw celError("type mismatch: JSONPatchType.expression should evaluate to array");
  return value.map((item) => {
    if (!(item instanceof JsonPatchValue)) throw celError("type mismatch: JSONPatchType.expression should evaluate to array of JSONPatch");
    const { op, path, from, value: v } = item.fields as { op?: string; path?: string; from?: string; value?: unknown };
    if (Array.isArray(v) || v instanceof Map || isPlainMap(v)) refuseObjectsInCollections(v);
    return { op: op ?? "", path: path ?? "", ...(from ? { from } : {}), ...(v !== undefined ? { value: toJson(v, v instanceof ObjectValue ? v.typeName : undefined) } : {}) };
  });
}

/** An ApplyConfiguration expression's value as the patch object. */
export function toApplyPatch(value: unknown): { [key: string]: Json } {
  if (!(value instanceof ObjectValue)) throw celError("unsupported return type from ApplyConfiguration expression: it must be an Object{...}");
  if (value.typeName !== OBJECT) throw celError(`type mismatch: unexpected type name "${value.typeName}", expected "${OBJECT}", which matches field name path from root Object type`);
  return toJson(value) as { [key: string]: Json };
}

// --- the source rewrite ---

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

interface RewrittenSource {
  readonly source: string;
  /** The offset in the user's source of an offset in the rewritten one. */
  readonly original: (offset: number) => number;
}

const isIdentifier = (t: Token | undefined) => t !== undefined && /^[A-Za-z_]/.test(t.text);

/** The source with its `Object...{}` and `JSONPatch{}` literals as calls cel-js can parse. */
export function rewriteStructLiterals(source: string): RewrittenSource {
  const tokens = tokenize(source);
  const edits: Edit[] = [];
  // One frame per open bracket: struct frames track whether a field's value is open.
  const frames: { struct: boolean; inValue: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const frame = frames.at(-1);
    if (frame?.struct && !frame.inValue) {
      const optional = t.text === "?" ? 1 : 0;
      const name = tokens[i + optional];
      if (isIdentifier(name) && tokens[i + optional + 1]?.text === ":") {
        edits.push({ start: t.start, end: tokens[i + optional + 1]!.end, text: `"${optional ? "?" : ""}${name!.text}": dyn(` });
        frame.inValue = true;
        i += optional + 1;
        continue;
      }
    }
    if ((t.text === OBJECT || t.text === JSONPATCH) && tokens[i - 1]?.text !== ".") {
      let j = i;
      while (t.text === OBJECT && tokens[j + 1]?.text === "." && isIdentifier(tokens[j + 2])) j += 2;
      if (tokens[j + 1]?.text === "{") {
        const typeName = tokens
          .slice(i, j + 1)
          .map((x) => x.text)
          .join("");
        const call = t.text === OBJECT ? `${OVERRIDE_PREFIX}${OBJECT}("${typeName}", {` : `${OVERRIDE_PREFIX}${JSONPATCH}({`;
        edits.push({ start: t.start, end: tokens[j + 1]!.end, text: call });
        frames.push({ struct: true, inValue: false });
        i = j + 1;
        continue;
      }
    }
    if (t.text === "(" || t.text === "[" || t.text === "{") frames.push({ struct: false, inValue: false });
    else if (t.text === ")" || t.text === "]" || t.text === "}") {
      const closing = frames.pop();
      if (closing?.struct && t.text === "}") edits.push({ start: t.start, end: t.end, text: closing.inValue ? ")})" : "})" });
    } else if (t.text === "," && frame?.struct && frame.inValue) {
      edits.push({ start: t.start, end: t.end, text: ")," });
      frame.inValue = false;
    }
  }
  let out = "";
  let at = 0;
  const marks: { rewritten: number; rewrittenEnd: number; original: number; originalEnd: number }[] = [];
  for (const e of edits) {
    out += source.slice(at, e.start);
    marks.push({ rewritten: out.length, rewrittenEnd: out.length + e.text.length, original: e.start, originalEnd: e.end });
    out += e.text;
    at = e.end;
  }
  out += source.slice(at);
  return {
    source: out,
    original: (offset) => {
      let mapped = offset;
      for (const m of marks) {
        if (offset < m.rewritten) break;
        mapped = offset < m.rewrittenEnd ? m.original : m.originalEnd + (offset - m.rewrittenEnd);
      }
      return mapped;
    },
  };
}

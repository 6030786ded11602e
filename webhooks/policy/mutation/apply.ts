// An ApplyConfiguration merged into an object as kube-apiserver's
// MutatingAdmissionPolicy does it (k8s.io/apiserver .../mutating/patch/smd.go):
// the patch is checked against the kind's schema and refused where it sets an
// atomic list, map or struct, then merged as server-side apply merges
// (sigs.k8s.io/structured-merge-diff's typed merge): structs and maps key by
// key, lists by their keys or as sets, scalars replaced. A port, with its
// ordering rules and messages, so the stored object is the apiserver's.
import { resolve as shippedTypes, rootType, type Atom, type TypeRef } from "../../../src/kube/apply-schema.ts";

/** The atom a type reference stands for: the shipped schema's, or a test's own. */
type Resolver = (ref: TypeRef) => Atom;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export class ApplyError extends Error {}

const isMap = (v: Json | undefined): v is { [key: string]: Json } => typeof v === "object" && v !== null && !Array.isArray(v);
const isScalar = (v: Json | undefined) => typeof v === "string" || typeof v === "number" || typeof v === "boolean";

/** The part of an atom a value takes, as deduceAtom picks it (null and mismatches keep them all). */
function deduce(atom: Atom, v: Json | undefined): Atom {
  if (isScalar(v) && atom.scalar) return { scalar: atom.scalar };
  if (Array.isArray(v) && atom.list) return { list: atom.list };
  if (isMap(v) && atom.map) return { map: atom.map };
  return atom;
}

function describe(v: Json): string {
  return JSON.stringify(v);
}

function scalarError(atom: NonNullable<Atom["scalar"]>, v: Json): string | undefined {
  if (v === null) return undefined;
  if (atom === "numeric" && typeof v !== "number") return `expected numeric (int or float), got ${describe(v)}`;
  if (atom === "string" && typeof v !== "string") return `expected string, got ${describe(v)}`;
  if (atom === "boolean" && typeof v !== "boolean") return `expected boolean, got ${describe(v)}`;
  if (atom === "untyped" && !isScalar(v)) return `expected any scalar, got ${describe(v)}`;
  return undefined;
}

/** A list item's identity: its keys (with defaults) or, in a set, itself; as fieldpath prints it. */
function itemKey(list: NonNullable<Atom["list"]>, item: Json): string {
  if (list.keys && list.keys.length > 0) {
    if (item === null) throw new ApplyError("associative list with keys may not have a null element");
    if (!isMap(item)) throw new ApplyError("associative list with keys may not have non-map elements");
    const parts = [...list.keys]
      .sort()
      .flatMap((k) => (k in item ? [`${k}=${JSON.stringify(item[k])}`] : list.keyDefaults && k in list.keyDefaults && list.keyDefaults[k] !== null ? [`${k}=${JSON.stringify(list.keyDefaults[k])}`] : []));
    if (parts.length === 0) throw new ApplyError(`associative list with keys has an element that omits all key fields ${JSON.stringify(list.keys)} (and doesn't have default values for any key fields)`);
    return `[${parts.join(",")}]`;
  }
  if (isMap(item)) throw new ApplyError("associative list without keys has an element that's a map type");
  if (Array.isArray(item)) throw new ApplyError("not supported: associative list with lists as elements");
  if (item === null) throw new ApplyError("associative list without keys has an element that's an explicit null");
  return `[=${JSON.stringify(item)}]`;
}

/** Checks a value against its type as ObjectToTyped does: every field declared, scalars of their type, list keys unique. */
function validate(resolve: Resolver, v: Json, ref: TypeRef, path: string, allowDuplicates: boolean, errors: string[]): void {
  const atom = deduce(resolve(ref), v);
  if (atom.map) {
    if (v === null) return;
    if (!isMap(v)) return void errors.push(`${path}: expected map, got ${describe(v)}`);
    for (const [key, child] of Object.entries(v)) {
      const field = atom.map.fields?.[key] ?? atom.map.of;
      if (field === undefined) {
        errors.push(`${path}.${key}: field not declared in schema`);
        return;
      }
      validate(resolve, child, field, `${path}.${key}`, allowDuplicates, errors);
    }
  } else if (atom.scalar) {
    const error = scalarError(atom.scalar, v);
    if (error !== undefined) errors.push(`${path}: ${error}`);
  } else if (atom.list) {
    if (v === null) return;
    if (!Array.isArray(v)) return void errors.push(`${path}: expected list, got ${describe(v)}`);
    const seen = new Set<string>();
    for (const [i, item] of v.entries()) {
      let key = `[${i}]`;
      if (atom.list.type !== "atomic") {
        try {
          key = itemKey(atom.list, item);
        } catch (error) {
          errors.push(`${path}: element ${i}: ${(error as Error).message}`);
          return;
        }
        if (seen.has(key) && !allowDuplicates) errors.push(`${path}: duplicate entries for key ${key}`);
        seen.add(key);
      }
      validate(resolve, item, atom.list.of, `${path}${key}`, allowDuplicates, errors);
    }
  }
}

/** Paths in the patch that set an atomic list, map or struct (smd.go's findAtomics). */
function atomicsIn(v: Json, ref: TypeRef, path: string, out: string[]): void {
  const atom = shippedTypes(ref);
  if (isMap(v) && atom.map) {
    if (atom.map.atomic) out.push(path);
    for (const [key, child] of Object.entries(v)) {
      const field = atom.map.fields?.[key];
      if (field !== undefined) atomicsIn(child, field, `${path}.${key}`, out);
    }
  }
  if (Array.isArray(v) && atom.list) {
    if (atom.list.type === "atomic") out.push(path);
    for (const [i, item] of v.entries()) atomicsIn(item, atom.list.of, `${path}[${i}]`, out);
  }
}

const isEmpty = (v: Json | undefined) => v === undefined || v === null || (Array.isArray(v) ? v.length === 0 : isMap(v) && Object.keys(v).length === 0);

/** typed.Merge's walk for one value; undefined when the merge leaves nothing. */
function merge(resolve: Resolver, lhs: Json | undefined, rhs: Json | undefined, ref: TypeRef): Json | undefined {
  const atom = resolve(ref);
  const chosen = deduce(atom, rhs === undefined ? lhs : rhs);
  if (chosen.map) return mergeMap(resolve, chosen.map, lhs, rhs);
  if (chosen.scalar) return rhs !== undefined ? rhs : lhs;
  if (chosen.list) return mergeList(resolve, chosen.list, lhs, rhs);
  return rhs !== undefined ? rhs : lhs;
}

function mergeMap(resolve: Resolver, map: NonNullable<Atom["map"]>, lhs: Json | undefined, rhs: Json | undefined): Json | undefined {
  const l = isMap(lhs) ? lhs : undefined;
  const r = isMap(rhs) ? rhs : undefined;
  // Empty or null on both sides, or atomic: a leaf, the right side kept (the empty/null distinction survives).
  if (map.atomic || (isEmpty(l) && isEmpty(r))) return rhs !== undefined ? rhs : lhs;
  if (!l && !r) return undefined;
  const out: { [key: string]: Json } = {};
  for (const key of new Set([...Object.keys(l ?? {}), ...Object.keys(r ?? {})])) {
    const field = map.fields?.[key] ?? map.of;
    const merged = field === undefined ? (r && key in r ? r[key] : l?.[key]) : merge(resolve, l?.[key], r?.[key], field);
    if (merged !== undefined) out[key] = merged;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** visitListItems: shared items keep the left side's place unless the right side reorders them; new ones follow theirs. */
function mergeList(resolve: Resolver, list: NonNullable<Atom["list"]>, lhs: Json | undefined, rhs: Json | undefined): Json | undefined {
  const l = Array.isArray(lhs) ? lhs : undefined;
  const r = Array.isArray(rhs) ? rhs : undefined;
  if (list.type === "atomic" || ((l?.length ?? 0) === 0 && (r?.length ?? 0) === 0)) return rhs !== undefined ? rhs : lhs;
  if (!l && !r) return undefined;
  const index = (items: Json[], allowDuplicates: boolean) => {
    const keys: string[] = [];
    const observed = new Map<string, Json | undefined>();
    for (const [i, item] of items.entries()) {
      const key = itemKey(list, item);
      if (observed.has(key)) {
        if (!allowDuplicates) throw new ApplyError(`duplicate entries for key ${key}`);
        observed.set(key, undefined); // duplicated items are not merged with the new value
      } else observed.set(key, item);
      keys[i] = key;
    }
    return { keys, observed };
  };
  const right = index(r ?? [], false);
  const left = index(l ?? [], true);
  const shared = right.keys.filter((k) => left.observed.has(k));
  let nextShared = shared.shift();
  const mergedRight = new Set<string>();
  const out: Json[] = [];
  const push = (v: Json | undefined) => {
    if (v !== undefined) out.push(v);
  };
  for (let li = 0, ri = 0; li < left.keys.length || ri < right.keys.length; ) {
    if (li < left.keys.length && ri < right.keys.length) {
      const key = left.keys[li]!;
      if (key === right.keys[ri]) {
        mergedRight.add(key);
        push(merge(resolve, left.observed.get(key), right.observed.get(key), list.of));
        li++;
        ri++;
        nextShared = shared.shift();
        continue;
      }
      if (right.observed.has(key) && nextShared !== undefined && nextShared !== key) {
        li++;
        continue;
      }
    }
    if (li < left.keys.length) {
      const key = left.keys[li]!;
      if (!right.observed.has(key)) {
        push(merge(resolve, l![li], undefined, list.of));
        li++;
        continue;
      } else if (mergedRight.has(key)) li++;
    }
    if (ri < right.keys.length) {
      const key = right.keys[ri]!;
      mergedRight.add(key);
      push(merge(resolve, left.observed.get(key), right.observed.get(key), list.of));
      ri++;
      if (nextShared === key) nextShared = shared.shift();
    }
  }
  return out.length > 0 ? out : undefined;
}

/** The type of `object`'s kind, or an error naming what podgate can apply to. */
function typeOf(object: { apiVersion?: unknown; kind?: unknown }): TypeRef {
  const type = typeof object.apiVersion === "string" && typeof object.kind === "string" ? rootType(object.apiVersion, object.kind) : undefined;
  if (type === undefined) throw new ApplyError(`podgate has no schema for ${String(object.apiVersion)}/${String(object.kind)}, so it cannot merge an ApplyConfiguration into it: use a JSONPatch mutation`);
  return type;
}

/** Errors of a value as an object of its kind would have them (strict decoding after a JSON patch). */
export function schemaErrors(object: Json): string[] {
  const errors: string[] = [];
  validate(shippedTypes, object, typeOf(object as { apiVersion?: unknown; kind?: unknown }), "", true, errors);
  return errors;
}

/** `object` with the apply configuration `patch` (same kind) merged in, or an ApplyError as the apiserver words it. */
export function applyConfiguration(object: { [key: string]: Json }, patch: { [key: string]: Json }): { [key: string]: Json } {
  const type = typeOf(object);
  const atomics: string[] = [];
  const errors: string[] = [];
  validate(shippedTypes, patch, type, "", false, errors);
  if (errors.length === 0) atomicsIn(patch, type, "", atomics);
  if (atomics.length > 0) throw new ApplyError(`error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: ${atomics.join(", ")}`);
  return typedMerge(shippedTypes, object, patch, type) as { [key: string]: Json };
}

/** lhs.Merge(rhs) of structured-merge-diff: rhs checked (no duplicate keys), lhs may hold duplicates. */
export function typedMerge(resolve: Resolver, lhs: Json, rhs: Json, type: TypeRef): Json {
  const errors: string[] = [];
  validate(resolve, rhs, type, "", false, errors);
  if (errors.length > 0) throw new ApplyError(`error applying patch: failed to convert patch object to typed object: ${errors.join("; ")}`);
  try {
    return merge(resolve, lhs, rhs, type) ?? {};
  } catch (error) {
    if (error instanceof ApplyError) throw new ApplyError(`error applying patch: failed to merge patch: ${error.message}`);
    throw error;
  }
}

export type { Json };

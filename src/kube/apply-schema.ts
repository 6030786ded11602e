// The structured-merge-diff schema of the kinds podgate applies configurations
// to (see apply-schema-gen.ts, which writes apply-schema.json from
// kube-apiserver's OpenAPI): the same atoms sigs.k8s.io/structured-merge-diff
// works on, so server-side-apply merges are ported, not approximated.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { packagePath } from "../package-root.ts";

export const APPLY_SCHEMA_PATH = packagePath("src/kube/apply-schema.json");

/** The kinds (apiVersion/kind) ApplyConfiguration mutations may target. */
export const APPLY_ROOTS = ["v1/Pod", "apps/v1/Deployment", "apps/v1/StatefulSet", "apps/v1/DaemonSet", "apps/v1/ReplicaSet", "batch/v1/Job", "batch/v1/CronJob"];

/** kube-openapi's two built-in untyped types: anything, atomic; and anything, maps merged by key. */
export const UNTYPED = "__untyped_atomic_";
export const DEDUCED = "__untyped_deduced_";

const scalar = z.enum(["string", "numeric", "boolean", "untyped"]);

export interface Atom {
  readonly scalar?: z.infer<typeof scalar>;
  /** set: scalars merged as a set; map: items merged by `keys` (with their defaults); atomic: replaced whole. */
  readonly list?: { readonly of: TypeRef; readonly type: "atomic" | "set" | "map"; readonly keys?: readonly string[]; readonly keyDefaults?: Readonly<Record<string, unknown>> };
  /** A struct (fields) and/or a map (of: its values' type; without it, keys other than fields are not declared). */
  readonly map?: { readonly fields?: Readonly<Record<string, TypeRef>>; readonly of?: TypeRef; readonly atomic?: boolean };
}
/** A named type, a named type whose map relationship the field overrides, or an inline atom. */
export type TypeRef = string | { readonly named: string; readonly atomic: boolean } | Atom;

const typeRef: z.ZodType<TypeRef> = z.lazy(() => z.union([z.string(), z.strictObject({ named: z.string(), atomic: z.boolean() }), atom]));
const atom: z.ZodType<Atom> = z.lazy(() =>
  z.strictObject({
    scalar: scalar.optional(),
    list: z.strictObject({ of: typeRef, type: z.enum(["atomic", "set", "map"]), keys: z.array(z.string()).optional(), keyDefaults: z.record(z.string(), z.unknown()).optional() }).optional(),
    map: z.strictObject({ fields: z.record(z.string(), typeRef).optional(), of: typeRef.optional(), atomic: z.boolean().optional() }).optional(),
  }),
);
const applySchema = z.strictObject({ roots: z.record(z.string(), z.string()), types: z.record(z.string(), atom) });
export type ApplySchema = z.infer<typeof applySchema>;

const BUILT_IN: Readonly<Record<string, Atom>> = {
  [UNTYPED]: { scalar: "untyped", list: { of: UNTYPED, type: "atomic" }, map: { of: UNTYPED, atomic: true } },
  [DEDUCED]: { scalar: "untyped", list: { of: UNTYPED, type: "atomic" }, map: { of: DEDUCED } },
};

let loaded: ApplySchema | undefined;

function schema(): ApplySchema {
  loaded ??= applySchema.parse(JSON.parse(readFileSync(APPLY_SCHEMA_PATH, "utf8")));
  return loaded;
}

/** The type of a kind's objects, or undefined when podgate has no schema for it. */
export function rootType(apiVersion: string, kind: string): TypeRef | undefined {
  return schema().roots[`${apiVersion}/${kind}`];
}

/** Resolves references among `types` (and kube-openapi's built-in untyped ones), with a field's atomic override applied (as schema.Resolve does). */
export function resolverFor(types: Readonly<Record<string, Atom>>): (ref: TypeRef) => Atom {
  return (ref) => {
    if (typeof ref === "object" && !("named" in ref)) return ref;
    const name = typeof ref === "string" ? ref : ref.named;
    const found = BUILT_IN[name] ?? types[name];
    if (!found) throw new Error(`the apply schema has no type ${name}`);
    if (typeof ref === "string") return found;
    return {
      ...found,
      ...(found.map ? { map: { ...found.map, atomic: ref.atomic } } : {}),
      ...(found.list ? { list: { ...found.list, type: ref.atomic ? "atomic" : found.list.type } } : {}),
    };
  };
}

let shipped: ((ref: TypeRef) => Atom) | undefined;

/** The atom a reference stands for in the shipped schema. */
export const resolve = (ref: TypeRef): Atom => (shipped ??= resolverFor(schema().types))(ref);

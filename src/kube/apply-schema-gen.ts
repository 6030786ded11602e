// Writes src/kube/apply-schema.json: the structured-merge-diff schema that
// kube-apiserver builds from its OpenAPI (kube-openapi's schemaconv) for the
// kinds podgate mutates with ApplyConfiguration (MutatingAdmissionPolicy),
// reduced to the types those kinds reach. It says which lists merge by key,
// which are sets, which lists and maps are atomic, and which fields exist.
//
// Usage: node src/kube/apply-schema-gen.ts <openapi v3 spec>...  (default: the
// specs of k8s.io/kubernetes in the Go module cache, after `go mod download
// k8s.io/kubernetes@<version>`). The e2e regenerates it from the harness
// apiserver's /openapi/v3 and fails when the committed file differs.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APPLY_SCHEMA_PATH, APPLY_ROOTS, DEDUCED, UNTYPED, type ApplySchema, type Atom, type TypeRef } from "./apply-schema.ts";

interface OpenApiSchema {
  readonly type?: string | string[];
  readonly format?: string;
  readonly $ref?: string;
  readonly default?: unknown;
  readonly allOf?: readonly OpenApiSchema[];
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly additionalProperties?: OpenApiSchema | boolean;
  readonly items?: OpenApiSchema;
  readonly "x-kubernetes-list-type"?: string;
  readonly "x-kubernetes-list-map-keys"?: readonly string[];
  readonly "x-kubernetes-patch-strategy"?: string;
  readonly "x-kubernetes-patch-merge-key"?: string;
  readonly "x-kubernetes-map-type"?: string;
  readonly "x-kubernetes-group-version-kind"?: readonly { group: string; version: string; kind: string }[];
}

const QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension";

const refName = (ref: string) => ref.slice(ref.lastIndexOf("/") + 1);

/** The schema for `roots` (apiVersion/kind) from OpenAPI v3 component schemas. */
export function applySchemaFrom(schemas: Readonly<Record<string, OpenApiSchema>>, roots: readonly string[]): ApplySchema {
  const types: Record<string, Atom> = {};
  const pending: string[] = [];
  const named = (name: string): string => {
    if (!(name in types) && !pending.includes(name)) pending.push(name);
    return name;
  };

  function primitive(type: string, format: string | undefined): Atom {
    if (type === "integer" || type === "number") return { scalar: "numeric" };
    if (type === "boolean") return { scalar: "boolean" };
    return { scalar: type === "string" && (format === undefined || format === "" || format === "byte") ? "string" : "untyped" };
  }

  function ref(s: OpenApiSchema): TypeRef {
    const target = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
    if (target !== undefined) {
      const name = named(refName(target));
      const mapType = s["x-kubernetes-map-type"];
      return mapType === undefined ? name : { named: name, atomic: mapType === "atomic" };
    }
    return atom(s);
  }

  /** A list merged by keys; a key field's default stands in when an item omits it (ports' protocol). */
  function keyed(of: TypeRef, items: OpenApiSchema | undefined, keys: string[]): Atom["list"] {
    const target = items?.$ref ?? items?.allOf?.[0]?.$ref;
    const properties = target !== undefined ? schemas[refName(target)]?.properties : items?.properties;
    const defaults = Object.fromEntries(keys.flatMap((k) => (properties?.[k] && "default" in properties[k] ? [[k, properties[k].default]] : [])));
    return { of, type: "map", keys, ...(Object.keys(defaults).length > 0 ? { keyDefaults: defaults } : {}) };
  }

  function listOf(s: OpenApiSchema): Atom["list"] {
    const of: TypeRef = s.items ? ref(s.items) : UNTYPED;
    const listType = s["x-kubernetes-list-type"];
    if (listType === "map") return keyed(of, s.items, [...(s["x-kubernetes-list-map-keys"] ?? [])]);
    if (listType === "set") return { of, type: "set" };
    if (listType === undefined && (s["x-kubernetes-patch-strategy"] === "merge" || s["x-kubernetes-patch-strategy"] === "merge,retainKeys")) {
      const key = s["x-kubernetes-patch-merge-key"];
      return key === undefined ? { of, type: "set" } : keyed(of, s.items, [key]);
    }
    return { of, type: "atomic" };
  }

  function mapOf(s: OpenApiSchema): NonNullable<Atom["map"]> {
    const fields = Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, ref(v)]));
    const extra = s.additionalProperties;
    const of: TypeRef | undefined =
      extra === undefined ? (Object.keys(fields).length === 0 ? DEDUCED : undefined) : typeof extra === "object" ? ref(extra) : extra ? DEDUCED : undefined;
    return {
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
      ...(of !== undefined ? { of } : {}),
      ...(s["x-kubernetes-map-type"] === "atomic" ? { atomic: true } : {}),
    };
  }

  function atom(s: OpenApiSchema): Atom {
    const type = Array.isArray(s.type) ? s.type[0] : s.type;
    if (type === undefined) return { scalar: "untyped", list: listOf(s), map: mapOf(s) };
    if (type === "object") return { map: mapOf(s) };
    if (type === "array") return { list: listOf(s) };
    return primitive(type, s.format);
  }

  const rootTypes: Record<string, string> = {};
  for (const [name, s] of Object.entries(schemas)) {
    for (const gvk of s["x-kubernetes-group-version-kind"] ?? []) {
      const apiVersion = gvk.group === "" ? gvk.version : `${gvk.group}/${gvk.version}`;
      if (roots.includes(`${apiVersion}/${gvk.kind}`)) rootTypes[`${apiVersion}/${gvk.kind}`] = named(name);
    }
  }
  const missing = roots.filter((r) => !(r in rootTypes));
  if (missing.length > 0) throw new Error(`the OpenAPI given has no schema for ${missing.join(", ")}`);
  for (let name = pending.shift(); name !== undefined; name = pending.shift()) {
    const s = schemas[name];
    if (!s) throw new Error(`the OpenAPI given has no component schema ${name}`);
    types[name] = name === QUANTITY ? { scalar: "untyped" } : name === RAW_EXTENSION ? { scalar: "untyped", list: { of: UNTYPED, type: "atomic" }, map: { of: UNTYPED, atomic: true } } : atom(s);
  }
  const sorted = Object.fromEntries(Object.keys(types).sort().map((k) => [k, types[k]!]));
  return { roots: Object.fromEntries(Object.keys(rootTypes).sort().map((k) => [k, rootTypes[k]!])), types: sorted };
}

function defaultSpecs(): string[] {
  const dir = execFileSync("go", ["list", "-m", "-f", "{{.Dir}}", "k8s.io/kubernetes@v1.36.3"], { encoding: "utf8", cwd: "controlplane/mod/kubernetes" }).trim();
  return ["api__v1_openapi.json", "apis__apps__v1_openapi.json", "apis__batch__v1_openapi.json"].map((f) => join(dir, "api/openapi-spec/v3", f));
}

if (import.meta.main) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : defaultSpecs();
  const schemas = Object.assign({}, ...files.map((f) => (JSON.parse(readFileSync(f, "utf8")) as { components: { schemas: Record<string, OpenApiSchema> } }).components.schemas)) as Record<string, OpenApiSchema>;
  writeFileSync(APPLY_SCHEMA_PATH, `${JSON.stringify(applySchemaFrom(schemas, APPLY_ROOTS))}\n`);
  console.log(`wrote ${APPLY_SCHEMA_PATH}`);
}

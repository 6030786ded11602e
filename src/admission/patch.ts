// JSON Patch by diffing: the webhook edits a clone, the patch is the diff of original and edited.
import fastJsonPatch from "fast-json-patch";
import type { KubeObject } from "./review.ts";

export type PatchOperation = fastJsonPatch.Operation;

/**
 * A deep copy of a JSON value. A plain recursive copy: structuredClone goes
 * through V8's serializer and was a quarter of a /mutate review's CPU time.
 */
export function cloneObject<T>(value: T): T {
  return cloneJson(value) as T;
}

function cloneJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i]);
    return copy;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    // A "__proto__" key (JSON.parse makes it an own property) must stay data, not become the prototype.
    if (key === "__proto__") Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

/** managedFields is server-owned bookkeeping; patching it would fight the apiserver. */
function withoutManagedFields(object: KubeObject): KubeObject {
  const metadata = object["metadata"];
  if (typeof metadata !== "object" || metadata === null || !("managedFields" in metadata)) return object;
  const { managedFields: _dropped, ...rest } = metadata as Record<string, unknown>;
  return { ...object, metadata: rest };
}

/**
 * The operations that turn `original` into `edited`: exactly fast-json-patch's
 * compare() (same operations, same order), without its deep copy of every
 * added or replaced value, which was a third of the diff's cost. The values
 * are `edited`'s own: encode the patch before editing that object again.
 */
export function diffPatch(original: KubeObject, edited: KubeObject): PatchOperation[] {
  const operations: PatchOperation[] = [];
  generate(withoutManagedFields(original), withoutManagedFields(edited), operations, "");
  return operations;
}

type Json = Record<string, unknown> | unknown[];

/** An object's keys; undefined for an array, whose keys are its indices (not spelled out: arrays are most of a pod). */
const keysOf = (value: Json): string[] | undefined => (Array.isArray(value) ? undefined : Object.keys(value));

/** RFC 6901: "~" is "~0" and "/" is "~1" in a path segment. */
function escapeKey(key: string | number): string | number {
  return typeof key === "number" || (!key.includes("/") && !key.includes("~")) ? key : key.replaceAll("~", "~0").replaceAll("/", "~1");
}

const isContainer = (value: unknown): value is Json => typeof value === "object" && value !== null;

// fast-json-patch's _generate (non-invertible), step for step: old keys from
// the last, then additions only when something was deleted or the key counts differ.
function generate(mirror: Json, object: Json, operations: PatchOperation[], path: string): void {
  if (object === mirror) return;
  const oldRecord = mirror as Record<string, unknown>;
  const newRecord = object as Record<string, unknown>;
  const oldKeys = keysOf(mirror);
  const newKeys = keysOf(object);
  const oldCount = oldKeys ? oldKeys.length : (mirror as unknown[]).length;
  const newCount = newKeys ? newKeys.length : (object as unknown[]).length;
  let deleted = false;
  for (let t = oldCount - 1; t >= 0; t--) {
    const key = oldKeys ? oldKeys[t]! : t;
    const oldValue = oldRecord[key];
    if (Object.hasOwn(object, key) && !(newRecord[key] === undefined && oldValue !== undefined && !Array.isArray(object))) {
      const newValue = newRecord[key];
      // Paths are built only where they are used: most values are equal.
      if (newValue === oldValue) continue;
      if (isContainer(oldValue) && isContainer(newValue) && Array.isArray(oldValue) === Array.isArray(newValue)) generate(oldValue, newValue, operations, `${path}/${escapeKey(key)}`);
      // An undefined array item is null in JSON, as the copy fast-json-patch made of it was.
      else operations.push({ op: "replace", path: `${path}/${escapeKey(key)}`, value: newValue === undefined ? null : newValue });
    } else if (Array.isArray(mirror) === Array.isArray(object)) {
      operations.push({ op: "remove", path: `${path}/${escapeKey(key)}` });
      deleted = true;
    } else {
      operations.push({ op: "replace", path, value: object });
    }
  }
  if (!deleted && newCount === oldCount) return;
  for (let t = 0; t < newCount; t++) {
    const key = newKeys ? newKeys[t]! : t;
    if (!Object.hasOwn(mirror, key) && newRecord[key] !== undefined) operations.push({ op: "add", path: `${path}/${escapeKey(key)}`, value: newRecord[key] });
  }
}

export function encodePatch(operations: readonly PatchOperation[]): string {
  return Buffer.from(JSON.stringify(operations)).toString("base64");
}

/** Applies a patch to a copy, as the apiserver would; used by tests and the offline tools. */
export function applyPatch(object: KubeObject, operations: readonly PatchOperation[]): KubeObject {
  return fastJsonPatch.applyPatch(cloneObject(object), operations as PatchOperation[], true, false).newDocument;
}

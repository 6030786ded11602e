// JSON Patch by diffing: the webhook edits a clone, the patch is the diff of original and edited.
import fastJsonPatch from "fast-json-patch";
import type { KubeObject } from "./review.ts";

export type PatchOperation = fastJsonPatch.Operation;

/**
 * A deep copy of a JSON value: a plain recursive copy, as structuredClone
 * goes through V8's serializer, which costs far more for JSON.
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

/** The operations that turn `original` into `edited` (fast-json-patch's compare), managedFields left alone. */
export function diffPatch(original: KubeObject, edited: KubeObject): PatchOperation[] {
  return fastJsonPatch.compare(withoutManagedFields(original), withoutManagedFields(edited));
}

export function encodePatch(operations: readonly PatchOperation[]): string {
  return Buffer.from(JSON.stringify(operations)).toString("base64");
}

/** Applies a patch to a copy, as the apiserver would; used by tests and the offline tools. */
export function applyPatch(object: KubeObject, operations: readonly PatchOperation[]): KubeObject {
  return fastJsonPatch.applyPatch(cloneObject(object), operations as PatchOperation[], true, false).newDocument;
}

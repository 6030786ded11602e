// JSON Patch by diffing: the webhook edits a clone, the patch is compare(original, edited).
import fastJsonPatch from "fast-json-patch";
import type { KubeObject } from "./review.ts";

export type PatchOperation = fastJsonPatch.Operation;

/** A deep copy of a JSON value (structuredClone keeps the JSON shape and is native). */
export function cloneObject<T>(value: T): T {
  return structuredClone(value);
}

/** managedFields is server-owned bookkeeping; patching it would fight the apiserver. */
function withoutManagedFields(object: KubeObject): KubeObject {
  const metadata = object["metadata"];
  if (typeof metadata !== "object" || metadata === null || !("managedFields" in metadata)) return object;
  const { managedFields: _dropped, ...rest } = metadata as Record<string, unknown>;
  return { ...object, metadata: rest };
}

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

// A JSON Patch applied as kube-apiserver applies a MutatingAdmissionPolicy's
// (gopkg.in/evanphx/json-patch.v4, which mutating/patch/json_patch.go uses),
// with that library's departures from RFC 6902 kept: negative array indices
// count from the end, `replace` of a missing object key adds it, a path
// without a leading "/" addresses the root's last segment, and a failed
// `test` leaves the object unchanged rather than failing the request.
import type { Json } from "./apply.ts";

export interface JsonPatchOperation {
  readonly op: string;
  readonly path: string;
  readonly from?: string;
  /** Absent when the CEL JSONPatch set no value. */
  readonly value?: Json;
}

export class JsonPatchError extends Error {}
/** A `test` operation did not hold: the patch is not applied, and that is not an error. */
class TestFailed extends Error {}

type Container = Json[] | { [key: string]: Json };

const decode = (key: string) => key.replaceAll("~1", "/").replaceAll("~0", "~");

/** findObject: the container a path's last segment is in, and that segment; undefined where the path is missing. */
function findObject(doc: Container, path: string): { container: Container; key: string } | undefined {
  const split = path.split("/");
  if (split.length < 2) return undefined;
  let container: Container = doc;
  for (const part of split.slice(1, -1)) {
    const next = get(container, decode(part));
    if (next === undefined || next === null || typeof next !== "object") return undefined;
    container = next;
  }
  return { container, key: decode(split.at(-1)!) };
}

function arrayIndex(array: Json[], key: string, length = array.length): number {
  if (!/^-?\d+$/.test(key)) throw new JsonPatchError(`value was not a proper array index: '${key}'`);
  let index = Number(key);
  if (index < 0) {
    if (index < -length) throw new JsonPatchError(`Unable to access invalid index: ${index}`);
    index += length;
  }
  return index;
}

/** The value at `key`; undefined when missing (for arrays: not an index, or out of range). */
function get(container: Container, key: string): Json | undefined {
  if (!Array.isArray(container)) return Object.hasOwn(container, key) ? container[key] : undefined;
  if (!/^-?\d+$/.test(key)) return undefined;
  const index = Number(key) < 0 ? Number(key) + container.length : Number(key);
  return index >= 0 && index < container.length ? container[index] : undefined;
}

function add(container: Container, key: string, value: Json | undefined): void {
  if (!Array.isArray(container)) {
    container[key] = value ?? null;
    return;
  }
  if (key === "-") {
    container.push(value ?? null);
    return;
  }
  const index = arrayIndex(container, key, container.length + 1);
  if (index > container.length) throw new JsonPatchError(`Unable to access invalid index: ${key}`);
  container.splice(index, 0, value ?? null);
}

function remove(container: Container, key: string): void {
  if (!Array.isArray(container)) {
    if (!Object.hasOwn(container, key)) throw new JsonPatchError(`Unable to remove nonexistent key: ${key}: missing value`);
    delete container[key];
    return;
  }
  const index = arrayIndex(container, key);
  if (index >= container.length) throw new JsonPatchError(`Unable to access invalid index: ${key}`);
  container.splice(index, 1);
}

/** Structural equality as lazyNode.equal has it (numbers compared as JSON text: 1 and 1.0 are equal in JavaScript too). */
function equal(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: Json | undefined): Json | undefined {
  if (Array.isArray(v)) return v.map((x) => canonical(x) ?? null);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k]) ?? null]));
  return v;
}

const clone = (v: Json | undefined): Json | undefined => (v === undefined ? undefined : structuredClone(v));

function applyOne(doc: { root: Container }, op: JsonPatchOperation): void {
  const located = (path: string, what: string) => {
    const found = findObject(doc.root, path);
    if (!found) throw new JsonPatchError(`${op.op} operation does not apply: doc is missing ${what}: "${path}"`);
    return found;
  };
  switch (op.op) {
    case "add": {
      const { container, key } = located(op.path, "path");
      add(container, key, clone(op.value));
      return;
    }
    case "remove": {
      const { container, key } = located(op.path, "path");
      remove(container, key);
      return;
    }
    case "replace": {
      if (op.path === "") {
        if (typeof op.value !== "object" || op.value === null) throw new JsonPatchError("replace operation value must be object or array");
        doc.root = clone(op.value) as Container;
        return;
      }
      const { container, key } = located(op.path, "path");
      if (Array.isArray(container)) {
        const index = arrayIndex(container, key);
        if (index >= container.length) throw new JsonPatchError(`replace operation does not apply: doc is missing key: ${op.path}`);
        container[index] = clone(op.value) ?? null;
      } else container[key] = clone(op.value) ?? null;
      return;
    }
    case "move":
    case "copy": {
      const from = located(op.from ?? "", "from path");
      const value = get(from.container, from.key);
      if (value === undefined && Array.isArray(from.container)) throw new JsonPatchError(`Unable to access invalid index: ${from.key}`);
      if (op.op === "move") remove(from.container, from.key);
      const to = located(op.path, "destination path");
      add(to.container, to.key, op.op === "copy" ? clone(value) : value);
      return;
    }
    case "test": {
      if (op.path === "") {
        if (!equal(doc.root, op.value)) throw new TestFailed();
        return;
      }
      const { container, key } = located(op.path, "path");
      const value = get(container, key);
      // An array item that is not there is an error, not a failed test (partialArray.get).
      if (value === undefined && Array.isArray(container)) throw new JsonPatchError(`error in test for path: '${op.path}'`);
      if (value === undefined) {
        if (op.value === undefined) return;
        throw new TestFailed();
      }
      if (op.value === undefined || !equal(value, op.value)) throw new TestFailed();
      return;
    }
    default:
      throw new JsonPatchError(`Unexpected kind: ${op.op}`);
  }
}

/** The patched copy of `object`; `object` itself when a test operation fails. Errors name the operation, as the apiserver does. */
export function applyJsonPatch<T extends { [key: string]: Json }>(object: T, operations: readonly JsonPatchOperation[]): T {
  const doc = { root: structuredClone(object) as Container };
  try {
    for (const op of operations) applyOne(doc, op);
  } catch (error) {
    if (error instanceof TestFailed) return object;
    if (error instanceof JsonPatchError) throw new JsonPatchError(`JSON Patch: ${error.message}`);
    throw error;
  }
  return doc.root as T;
}

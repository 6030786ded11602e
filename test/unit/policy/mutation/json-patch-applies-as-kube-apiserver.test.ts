// JSON Patch as kube-apiserver applies a MutatingAdmissionPolicy's (evanphx
// json-patch v4), departures from RFC 6902 included: each case is what that
// library does, read from its source.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyJsonPatch, JsonPatchError, type JsonPatchOperation } from "../../../../webhooks/policy/mutation/json-patch.ts";

const doc = () => ({ metadata: { labels: { a: "1" } }, list: [1, 2, 3] });
const apply = (ops: JsonPatchOperation[]) => applyJsonPatch(doc(), ops);
const fails = (ops: JsonPatchOperation[], message: RegExp) => assert.throws(() => apply(ops), (e: unknown) => e instanceof JsonPatchError && message.test(e.message));

test("add, replace and remove work on objects and arrays; '-' appends; the input is not changed", () => {
  const input = doc();
  const out = applyJsonPatch(input, [
    { op: "add", path: "/metadata/labels/b", value: "2" },
    { op: "add", path: "/list/1", value: 9 },
    { op: "add", path: "/list/-", value: 4 },
    { op: "replace", path: "/metadata/labels/a", value: "x" },
    { op: "remove", path: "/list/0" },
  ]);
  assert.deepEqual(out, { metadata: { labels: { a: "x", b: "2" } }, list: [9, 2, 3, 4] });
  assert.deepEqual(input, doc());
});

test("negative indices count from the end (SupportNegativeIndices)", () => {
  assert.deepEqual(apply([{ op: "replace", path: "/list/-1", value: 7 }]).list, [1, 2, 7]);
  assert.deepEqual(apply([{ op: "remove", path: "/list/-3" }]).list, [2, 3]);
  fails([{ op: "remove", path: "/list/-4" }], /invalid index/);
});

test("replace of a missing object key adds it; of a missing array index fails", () => {
  assert.deepEqual(apply([{ op: "replace", path: "/metadata/labels/new", value: "v" }]).metadata.labels, { a: "1", new: "v" });
  fails([{ op: "replace", path: "/list/3", value: 0 }], /missing key/);
});

test("a missing parent, a missing key to remove and an index past the end are errors naming the path", () => {
  fails([{ op: "add", path: "/metadata/annotations/x", value: "1" }], /add operation does not apply: doc is missing path: "\/metadata\/annotations\/x"/);
  fails([{ op: "remove", path: "/metadata/labels/zzz" }], /Unable to remove nonexistent key: zzz/);
  fails([{ op: "add", path: "/list/5", value: 0 }], /invalid index/);
  fails([{ op: "frobnicate", path: "/x" }], /Unexpected kind: frobnicate/);
});

test("a failed test leaves the whole object unchanged, and is not an error; a test of an absent key without a value passes", () => {
  const input = doc();
  assert.equal(applyJsonPatch(input, [{ op: "add", path: "/metadata/labels/b", value: "2" }, { op: "test", path: "/metadata/labels/a", value: "2" }]), input);
  assert.deepEqual(apply([{ op: "test", path: "/metadata/labels/zzz" }, { op: "add", path: "/metadata/labels/b", value: "2" }]).metadata.labels, { a: "1", b: "2" });
  assert.deepEqual(apply([{ op: "test", path: "/list", value: [1, 2, 3] }, { op: "test", path: "/metadata", value: { labels: { a: "1" } } }]), doc());
  fails([{ op: "test", path: "/list/7", value: 1 }], /error in test/);
});

test("copy duplicates and move relocates; keys are unescaped (~1 is /, ~0 is ~)", () => {
  const out = apply([
    { op: "copy", from: "/metadata/labels/a", path: "/metadata/labels/k8s.io~1name" },
    { op: "move", from: "/list/0", path: "/metadata/labels/~0first" },
  ]);
  assert.deepEqual(out, { metadata: { labels: { a: "1", "k8s.io/name": "1", "~first": 1 } }, list: [2, 3] });
  fails([{ op: "move", from: "/metadata/nothing", path: "/x" }], /Unable to remove nonexistent key: nothing/);
  fails([{ op: "move", from: "/missing/nothing", path: "/x" }], /move operation does not apply: doc is missing from path/);
});

test("replace of the root takes an object or array", () => {
  assert.deepEqual(apply([{ op: "replace", path: "", value: { fresh: true } }]), { fresh: true });
  fails([{ op: "replace", path: "", value: "scalar" }], /must be object or array/);
});

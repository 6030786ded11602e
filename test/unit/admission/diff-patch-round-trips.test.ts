// The patch a mutation becomes turns the original into the edited object, as the
// apiserver applies it; managedFields, the apiserver's own bookkeeping, is never patched.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { applyPatch, diffPatch } from "../../../src/admission/patch.ts";

// Prototype keys never reach a diff (the body parser refuses them, json-body.ts) and applyPatch bans them.
const key = fc
  .oneof(fc.string(), fc.constantFrom("a/b", "~", "~1", "/", "a~0b", "", "0", "1"))
  .filter((k) => !["__proto__", "constructor", "prototype"].includes(k));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie("object"), tie("array")),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5, noNullPrototype: true }),
  array: fc.array(tie("value"), { maxLength: 4 }),
}));

/** As the wire sees a value: its JSON text read back. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

describe("diffPatch", () => {
  it("property: applying the patch to the original gives the edited object", () => {
    fc.assert(
      fc.property(json.object, json.object, (a, b) => {
        assert.deepEqual(wire(applyPatch(a, diffPatch(a, b))), wire(b));
      }),
      { numRuns: 1000 },
    );
  });

  it("property: an edited copy (shared subtrees, type changes, removals) round-trips", () => {
    const edit = fc.tuple(json.object, fc.array(fc.tuple(key, fc.option(json.value)), { maxLength: 4 }));
    fc.assert(
      fc.property(edit, ([a, edits]) => {
        const b: Record<string, unknown> = { ...a };
        for (const [k, v] of edits) {
          if (v === null) delete b[k];
          else b[k] = v;
        }
        assert.deepEqual(wire(applyPatch(a, diffPatch(a, b))), wire(b));
      }),
      { numRuns: 500 },
    );
  });

  it("an undefined array item is replaced by null, and an undefined property is removed", () => {
    assert.deepEqual(diffPatch({ list: [1, 2], x: 1 }, { list: [1, undefined], x: undefined }), [
      { op: "remove", path: "/x" },
      { op: "replace", path: "/list/1", value: null },
    ]);
  });

  it("managedFields is never patched", () => {
    const stored = { metadata: { name: "p", managedFields: [{ manager: "kubectl" }] }, spec: {} };
    assert.deepEqual(diffPatch(stored, { metadata: { name: "p", managedFields: [] }, spec: { x: 1 } }), [{ op: "add", path: "/spec/x", value: 1 }]);
  });
});

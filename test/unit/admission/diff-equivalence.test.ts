import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import fastJsonPatch from "fast-json-patch";
import { diffPatch } from "../../../src/admission/patch.ts";

const key = fc.oneof(fc.string(), fc.constantFrom("a/b", "~", "~1", "/", "a~0b", "", "0", "1"));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie("object"), tie("array")),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5, noNullPrototype: true }),
  array: fc.array(tie("value"), { maxLength: 4 }),
}));

/** Both sides as the wire sees them: the patch text. */
const text = (value: unknown) => JSON.stringify(value);

describe("diffPatch", () => {
  it("property: yields exactly fast-json-patch's compare(), operation for operation", () => {
    fc.assert(
      fc.property(json.object, json.object, (a, b) => {
        assert.equal(text(diffPatch(a, b)), text(fastJsonPatch.compare(a, b)));
      }),
      { numRuns: 1000 },
    );
  });

  it("property: an edited copy diffs as compare() does (shared subtrees, type changes, removals)", () => {
    const edit = fc.tuple(json.object, fc.array(fc.tuple(key, fc.option(json.value)), { maxLength: 4 }));
    fc.assert(
      fc.property(edit, ([a, edits]) => {
        const b: Record<string, unknown> = { ...a };
        for (const [k, v] of edits) {
          if (v === null) delete b[k];
          else b[k] = v;
        }
        assert.equal(text(diffPatch(a, b)), text(fastJsonPatch.compare(a, b)));
      }),
      { numRuns: 500 },
    );
  });

  it("an undefined array item is replaced by null, and an undefined property is removed, as compare() does", () => {
    const a = { list: [1, 2], x: 1 };
    const b = { list: [1, undefined], x: undefined };
    assert.equal(text(diffPatch(a, b)), text(fastJsonPatch.compare(a, b)));
    assert.deepEqual(diffPatch(a, b), [{ op: "remove", path: "/x" }, { op: "replace", path: "/list/1", value: null }]);
  });
});

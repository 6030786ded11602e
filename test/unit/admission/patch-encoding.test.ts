import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { applyPatch, diffPatch, encodePatch } from "../../../src/admission/patch.ts";

describe("patch encoding", () => {
  it("escapes '/' as ~1 and '~' as ~0 in keys", () => {
    const original = { metadata: { annotations: {} } };
    const edited = { metadata: { annotations: { "example.com/owner": "x", "odd~key": "y" } } };
    const ops = diffPatch(original, edited);
    const paths = ops.map((o) => o.path).sort();
    assert.deepEqual(paths, ["/metadata/annotations/example.com~1owner", "/metadata/annotations/odd~0key"]);
    assert.deepEqual(applyPatch(original, ops), edited);
  });

  it("creates missing maps and arrays as whole values", () => {
    const original = { metadata: { name: "p" }, spec: { containers: [{ name: "app" }] } };
    const edited = { metadata: { name: "p", annotations: { a: "1" } }, spec: { containers: [{ name: "app" }], volumes: [{ name: "v" }], initContainers: [{ name: "i" }] } };
    const ops = diffPatch(original, edited);
    assert.deepEqual(applyPatch(original, ops), edited);
    assert.ok(ops.some((o) => o.op === "add" && o.path === "/metadata/annotations"));
  });

  it("encodes the patch as base64 of a JSON array", () => {
    const ops = diffPatch({ a: 1 }, { a: 2 });
    assert.deepEqual(JSON.parse(Buffer.from(encodePatch(ops), "base64").toString("utf8")), [{ op: "replace", path: "/a", value: 2 }]);
  });

  it("refuses a patch that would write through __proto__", () => {
    assert.throws(() => applyPatch({}, [{ op: "add", path: "/__proto__/polluted", value: 1 }]), /banned/);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  it("property: the diff of any two JSON objects applies cleanly and reproduces the target", () => {
    // Prototype keys never reach a diff (the body parser refuses them) and applyPatch bans them.
    const key = fc.oneof(fc.string(), fc.constantFrom("a/b", "~", "~1", "/", "a~0b", "")).filter((k) => !["__proto__", "constructor", "prototype"].includes(k));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), tie("object"), tie("array")),
      object: fc.dictionary(key, tie("value"), { maxKeys: 5, noNullPrototype: true }),
      array: fc.array(tie("value"), { maxLength: 4 }),
    }));
    fc.assert(
      fc.property(json.object, json.object, (a, b) => {
        const ops = diffPatch(a, b);
        assert.deepEqual(applyPatch(a, ops), b);
      }),
      { numRuns: 300 },
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
});

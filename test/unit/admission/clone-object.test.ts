import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { cloneObject } from "../../../src/admission/patch.ts";

describe("cloneObject", () => {
  it("copies any JSON value exactly (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.deepStrictEqual(cloneObject(value), value);
      }),
    );
  });

  it("shares no object or array with the original, at any depth", () => {
    const original = { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "a", env: [{ name: "X" }] }] } };
    const copy = cloneObject(original);
    copy.metadata.labels.a = "2";
    copy.spec.containers[0]!.env.push({ name: "Y" });
    copy.spec.containers.push({ name: "b", env: [] });
    assert.deepStrictEqual(original, { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "a", env: [{ name: "X" }] }] } });
  });

  it("keeps a __proto__ key as data instead of setting the copy's prototype", () => {
    const original = JSON.parse('{"a":{"__proto__":{"polluted":true}}}') as { a: Record<string, unknown> };
    const copy = cloneObject(original);
    assert.equal(Object.getPrototypeOf(copy.a), Object.prototype);
    assert.deepStrictEqual(Object.keys(copy.a), ["__proto__"]);
    assert.equal((copy.a as { polluted?: unknown }).polluted, undefined);
    assert.deepStrictEqual(copy, original);
  });
});

// The JSON body parser refuses what would later blow the stack or reach a
// prototype, with the path, and never throws anything but a BodyError.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { BodyError, MAX_JSON_DEPTH, findProblem, mayHoldProblem, parseJsonBody } from "../../../src/server/json-body.ts";

const nested = (depth: number, leaf = "1") => "[".repeat(depth) + leaf + "]".repeat(depth);

function refusal(text: string): BodyError {
  try {
    parseJsonBody(text);
  } catch (error) {
    assert.ok(error instanceof BodyError, `expected a BodyError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a refusal");
}

test("100k nested arrays are refused as too deep, not a stack overflow", () => {
  const error = refusal(nested(100_000));
  assert.equal(error.code, "TOO_DEEP");
  assert.match(error.message, /nests deeper than 1000 levels at \[0\]\[0\]/);
  assert.ok(error.message.length < 300, "the path is abbreviated");
});

test("deep nesting inside a review is refused with the review's uid and the path", () => {
  const text = `{"request":{"uid":"u-1","object":{"spec":${"{\"a\":".repeat(50_000)}1${"}".repeat(50_000)}}}}`;
  const error = refusal(text);
  assert.equal(error.code, "TOO_DEEP");
  assert.equal(error.uid, "u-1");
  assert.match(error.message, /at request\.object\.spec\.a\.a/);
});

test("nesting up to the limit is accepted", () => {
  assert.ok(Array.isArray(parseJsonBody(nested(MAX_JSON_DEPTH - 1))));
});

test("a prototype key under deep nesting is found without recursion", () => {
  const error = refusal(nested(900, '{"__proto__":{"polluted":true}}'));
  assert.equal(error.code, "FORBIDDEN_KEY");
  assert.match(error.message, /\[0\]\[0\]/);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
});

test("constructor.prototype is refused with its path, inside arrays too", () => {
  const error = refusal('{"request":{"uid":"u-2","object":{"items":[{},{"constructor":{"prototype":{"x":1}}}]}}}');
  assert.equal(error.code, "FORBIDDEN_KEY");
  assert.equal(error.uid, "u-2");
  assert.match(error.message, /at request\.object\.items\[1\]\.constructor\.prototype$/);
});

test("a key named constructor holding a plain value is fine", () => {
  assert.deepEqual(parseJsonBody('{"constructor":"x","prototype":1}'), { constructor: "x", prototype: 1 });
});

test("findProblem reports the first depth violation at the exact level", () => {
  assert.deepEqual(findProblem([[[1]]], 2), { code: "TOO_DEEP", at: "[0][0]" });
  assert.equal(findProblem([[[1]]], 3), undefined);
});

test("truncated and empty bodies name the problem", () => {
  assert.equal(refusal('{"request":{"uid":').code, "INVALID_JSON");
  assert.equal(refusal("  ").code, "EMPTY_BODY");
});

test("prototype keys spelt with \\u escapes are refused too (the text holds no literal \"__proto__\")", () => {
  const proto = refusal(String.raw`{"a":{"__pr\u006fto__":{"polluted":true}}}`);
  assert.equal(proto.code, "FORBIDDEN_KEY");
  assert.match(proto.message, /at a\.__proto__/);
  const constructor = refusal(String.raw`{"constructor":{"pr\u006ftotype":{"polluted":true}}}`);
  assert.equal(constructor.code, "FORBIDDEN_KEY");
});

test("an empty or blank body is told apart from invalid JSON", () => {
  for (const text of ["", "  \n\t"]) assert.equal(refusal(text).code, "EMPTY_BODY");
  assert.equal(refusal("{").code, "INVALID_JSON");
});

test("ordinary reviews (ports, managedFields, 3 containers) skip the walk; a hostile spelling does not", () => {
  const fixtures = ["bench/pod-review.json", "admission/create-pod.json", "admission/update-pod.json"];
  for (const name of fixtures) assert.equal(mayHoldProblem(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8")), false, name);
  for (const text of ['{"__proto__":1}', '{"a":{"prototype":1}}', String.raw`{"__pr\u006fto__":1}`, nested(MAX_JSON_DEPTH + 1)]) assert.equal(mayHoldProblem(text), true, text.slice(0, 40));
});

/** JSON text with characters of strings written as \u escapes, chosen by a small seeded generator. */
function escapedJson(value: unknown, seed: number): string {
  let state = seed >>> 0 || 1;
  const coin = () => ((state = (state * 1103515245 + 12345) >>> 0) & 0x100) !== 0;
  const text = (s: string) => `"${[...JSON.stringify(s).slice(1, -1)].map((c) => (c !== "\\" && coin() ? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}` : c)).join("")}"`;
  const write = (v: unknown): string => {
    if (typeof v === "string") return text(v);
    if (Array.isArray(v)) return `[${v.map(write).join(",")}]`;
    if (typeof v === "object" && v !== null) return `{${Object.keys(v).map((k) => `${text(k)}:${write((v as Record<string, unknown>)[k])}`).join(",")}}`;
    return JSON.stringify(v);
  };
  return write(value);
}

test("property: the cheap text check never misses a prototype key that the walk finds, however the key is spelt", () => {
  const forbidden = fc.constantFrom<[string, unknown]>(["__proto__", { polluted: true }], ["constructor", { prototype: { polluted: true } }], ["__proto__", null]);
  const document = fc.tuple(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), fc.option(forbidden), fc.nat({ max: 4 }), fc.integer());
  fc.assert(
    fc.property(document, ([base, inject, depth, seed]) => {
      let value: Record<string, unknown> = structuredClone(base);
      if (inject) {
        const leaf: Record<string, unknown> = {};
        Object.defineProperty(leaf, inject[0], { value: inject[1], enumerable: true });
        value = leaf;
        for (let i = 0; i < depth; i++) value = { [`k${i}`]: value, ...base };
      }
      const text = escapedJson(value, seed);
      if (findProblem(JSON.parse(text))?.code === "FORBIDDEN_KEY") {
        assert.ok(mayHoldProblem(text), text.slice(0, 200));
        assert.equal(refusal(text).code, "FORBIDDEN_KEY");
      }
    }),
    { numRuns: 3000 },
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toCel } from "../../../webhooks/policy/cel.ts";

/** The conversion by its definition: a full copy with every integer a bigint. */
function reference(value: unknown): unknown {
  if (typeof value === "number") return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(reference);
  if (typeof value === "object" && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reference(v)]));
  return value;
}

const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);

test("toCel equals a full conversion, integers as bigint, and leaves its input as it was", () => {
  fc.assert(
    fc.property(json, (value) => {
      const before = structuredClone(value);
      assert.deepEqual(toCel(value), reference(value));
      assert.deepEqual(value, before);
    }),
  );
});

test("toCel copies only what holds an integer: integer-free subtrees are shared", () => {
  const managedFields = [{ manager: "kubectl", fieldsV1: { "f:metadata": { "f:labels": { ".": {} } } } }];
  const labels = { app: "web" };
  const pod = { metadata: { labels, managedFields }, spec: { containers: [{ name: "a", ports: [{ containerPort: 80 }] }] } };
  const converted = toCel(pod) as typeof pod;
  assert.notEqual(converted, pod);
  assert.equal(converted.metadata, pod.metadata);
  assert.equal(converted.metadata.managedFields, managedFields);
  assert.equal(converted.spec.containers[0]!.ports[0]!.containerPort, 80n as unknown as number);
  assert.equal(pod.spec.containers[0]!.ports[0]!.containerPort, 80);
});

// ApplyConfiguration merges as kube-apiserver's (structured-merge-diff):
// structured-merge-diff's own merge table (its typed/merge_test.go, schemas
// and all, in test/fixtures/policy/mutating/smd-merge-cases.json) gives the
// same objects, list order included; on the shipped Pod schema, what the
// apiserver refuses is refused with its words.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { resolverFor, type Atom } from "../../../../src/kube/apply-schema.ts";
import { applyConfiguration, ApplyError, typedMerge, type Json } from "../../../../webhooks/policy/mutation/apply.ts";

interface MergeCase {
  readonly name: string;
  readonly root: string;
  readonly types: Record<string, Atom>;
  readonly triplets: readonly { lhs: Json; rhs: Json; out: Json }[];
}
const { cases } = JSON.parse(readFileSync(new URL("../../../fixtures/policy/mutating/smd-merge-cases.json", import.meta.url), "utf8")) as { cases: MergeCase[] };

describe("structured-merge-diff's merge cases", () => {
  for (const c of cases) {
    test(`${c.name}: ${c.triplets.length} merges`, () => {
      const resolve = resolverFor(c.types);
      for (const [i, { lhs, rhs, out }] of c.triplets.entries()) {
        assert.deepEqual(typedMerge(resolve, lhs, rhs, c.root), out, `triplet ${i}: ${JSON.stringify(lhs)} + ${JSON.stringify(rhs)}`);
      }
    });
  }
});

const pod = () => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", labels: { a: "1" } },
  spec: { containers: [{ name: "app", image: "i", ports: [{ containerPort: 80, protocol: "TCP" }], resources: { limits: { memory: "1Gi" } } }] },
});
const applied = (patch: Record<string, Json>) => applyConfiguration(pod(), patch);
const refused = (patch: Record<string, Json>, message: RegExp) => assert.throws(() => applied(patch), (e: unknown) => e instanceof ApplyError && message.test(e.message));

test("containers merge by name, ports by containerPort and protocol (a missing protocol is its default, TCP), resources' maps key by key", () => {
  const out = applied({
    spec: {
      containers: [
        { name: "app", ports: [{ containerPort: 80, name: "http" }, { containerPort: 80, protocol: "UDP" }], resources: { limits: { cpu: "1" } } },
        { name: "side", image: "s" },
      ],
    },
  });
  assert.deepEqual(out.spec, {
    containers: [
      { name: "app", image: "i", ports: [{ containerPort: 80, protocol: "TCP", name: "http" }, { containerPort: 80, protocol: "UDP" }], resources: { limits: { memory: "1Gi", cpu: "1" } } },
      { name: "side", image: "s" },
    ],
  });
});

test("atomic lists, maps and structs, unknown fields, wrong types and duplicate keys are refused as the apiserver words them", () => {
  refused({ spec: { nodeSelector: { disk: "ssd" } } }, /may not mutate atomic arrays, maps or structs: \.spec\.nodeSelector$/);
  refused({ spec: { tolerations: [{ key: "k" }] } }, /may not mutate atomic arrays, maps or structs: \.spec\.tolerations$/);
  refused({ spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: {} } } } }, /atomic.*\.spec\.affinity\.nodeAffinity\.requiredDuringSchedulingIgnoredDuringExecution/);
  refused({ spec: { notAField: 1 } }, /failed to convert patch object to typed object: \.spec\.notAField: field not declared in schema/);
  refused({ spec: { priority: "high" } }, /\.spec\.priority: expected numeric/);
  refused({ spec: { containers: [{ name: "x" }, { name: "x" }] } }, /duplicate entries for key \[name="x"\]/);
});

test("a kind without a schema is refused with what to use instead", () => {
  assert.throws(() => applyConfiguration({ apiVersion: "v1", kind: "ConfigMap" }, { data: { a: "b" } }), /no schema for v1\/ConfigMap.*JSONPatch/);
});

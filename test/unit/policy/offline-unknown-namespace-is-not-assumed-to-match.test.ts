// Offline, a namespace with no Namespace manifest is judged as the apiserver would see a plain one:
// no labels but kubernetes.io/metadata.name. A selector is not assumed to match it, and the output says so.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { evaluateManifests, unknownNamespacesNote } from "../../../webhooks/policy/offline.ts";
import { policy } from "./requests.ts";

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "shop" }, spec: { containers: [{ name: "app", image: "x:1" }] } };
const namespace = (labels: Record<string, string>) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels } });
const denyIn = (selector: object) =>
  compilePolicy(policy("prod-only", { matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }], namespaceSelector: selector }, validations: [{ expression: "false", message: "denied in prod" }] }), "t");
const resultOf = (policies: ReturnType<typeof denyIn>[], manifests: Record<string, unknown>[]) => evaluateManifests(policies, manifests).find((r) => r.target.name === "web")!;

test("a selector on labels does not match a namespace without a manifest; with a labelled manifest it does", () => {
  const prodOnly = denyIn({ matchLabels: { env: "prod" } });
  const unknown = resultOf([prodOnly], [pod]);
  assert.equal(unknown.outcomes[0]?.verdict.result, "skip");
  assert.equal(unknown.unknownNamespace, "shop");
  const labelled = resultOf([prodOnly], [namespace({ env: "prod" }), pod]);
  assert.equal(labelled.outcomes[0]?.verdict.result, "fail");
  assert.equal(labelled.unknownNamespace, undefined);
});

test("the label the apiserver sets on every namespace is there: a selector by name matches", () => {
  const byName = denyIn({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["shop"] }] });
  assert.equal(resultOf([byName], [pod]).outcomes[0]?.verdict.result, "fail");
});

test("CEL sees the assumed namespace as namespaceObject", () => {
  const named = compilePolicy(policy("ns-name", { validations: [{ expression: "namespaceObject.metadata.name != 'shop'", message: "not in shop" }] }), "t");
  assert.equal(resultOf([named], [pod]).outcomes[0]?.verdict.result, "fail");
});

test("the note names each namespace judged without a manifest, only when some policy selects namespaces", () => {
  const prodOnly = denyIn({ matchLabels: { env: "prod" } });
  const other = { ...pod, metadata: { name: "db", namespace: "data" } };
  const note = unknownNamespacesNote([prodOnly], evaluateManifests([prodOnly], [pod, other, pod]));
  assert.match(note ?? "", /^note: no Namespace manifest for shop, data: judged as namespaces with no labels/);
  assert.equal(unknownNamespacesNote([prodOnly], evaluateManifests([prodOnly], [namespace({}), pod])), undefined);
  const noSelector = compilePolicy(policy("any", { validations: [{ expression: "true" }] }), "t");
  assert.equal(unknownNamespacesNote([noSelector], evaluateManifests([noSelector], [pod])), undefined);
});

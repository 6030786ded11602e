import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { matchesConstraints, resourceMatches, selectorMatches } from "../../../webhooks/policy/match.ts";
import { matchConstraints } from "../../../webhooks/policy/schema.ts";
import { podRequest } from "./requests.ts";

test("resource patterns follow admissionregistration/v1: subresources only when named", () => {
  assert.equal(resourceMatches(["pods"], "pods", ""), true);
  assert.equal(resourceMatches(["pods"], "pods", "status"), false);
  assert.equal(resourceMatches(["pods/status"], "pods", "status"), true);
  assert.equal(resourceMatches(["pods/*"], "pods", "exec"), true);
  assert.equal(resourceMatches(["*"], "deployments", ""), true);
  assert.equal(resourceMatches(["*"], "deployments", "scale"), false);
  assert.equal(resourceMatches(["*/scale"], "deployments", "scale"), true);
  assert.equal(resourceMatches(["*/*"], "pods", "ephemeralcontainers"), true);
});

const pods = (extra: object = {}) =>
  matchConstraints.parse({ resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }], ...extra });

test("operations, exclusions and scope narrow the match", () => {
  assert.equal(matchesConstraints(pods(), podRequest({}), undefined), true);
  assert.equal(matchesConstraints(pods(), podRequest({}, { operation: "UPDATE" }), undefined), false);
  const excluded = pods({ excludeResourceRules: [{ apiGroups: [""], apiVersions: ["*"], resources: ["pods"], operations: ["*"], resourceNames: ["web"] }] });
  assert.equal(matchesConstraints(excluded, podRequest({}), undefined), false);
  assert.equal(matchesConstraints(excluded, podRequest({}, { name: "other" }), undefined), true);
});

test("the object selector matches the new or the old object", () => {
  const selected = pods({ objectSelector: { matchLabels: { tier: "web" } } });
  assert.equal(matchesConstraints(selected, podRequest({}, {}, { labels: { tier: "web" } }), undefined), true);
  assert.equal(matchesConstraints(selected, podRequest({}), undefined), false);
  const update = podRequest({}, { operation: "CREATE", oldObject: { metadata: { labels: { tier: "web" } } } });
  assert.equal(matchesConstraints(selected, update, undefined), true);
});

test("the namespace selector applies when the namespace is known, and is left to the apiserver otherwise", () => {
  const prod = pods({ namespaceSelector: { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] } });
  assert.equal(matchesConstraints(prod, podRequest({}), { env: "prod" }), true);
  assert.equal(matchesConstraints(prod, podRequest({}), { env: "dev" }), false);
  assert.equal(matchesConstraints(prod, podRequest({}), undefined), true);
});

test("selector operators", () => {
  const labels = { a: "1", b: "2" };
  assert.equal(selectorMatches({ matchExpressions: [{ key: "a", operator: "Exists" }] }, labels), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: "c", operator: "DoesNotExist" }] }, labels), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: "a", operator: "NotIn", values: ["1"] }] }, labels), false);
  assert.equal(selectorMatches({ matchExpressions: [{ key: "c", operator: "NotIn", values: ["1"] }] }, labels), true);
  assert.equal(selectorMatches({ matchExpressions: [{ key: "b", operator: "In", values: ["1", "2"] }] }, labels), true);
});

test("property: matchLabels matches exactly when its pairs are a subset of the labels", () => {
  const record = fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.constantFrom("x", "y"));
  fc.assert(
    fc.property(record, record, (wanted, labels) => {
      const subset = Object.entries(wanted).every(([k, v]) => labels[k] === v);
      return selectorMatches({ matchLabels: wanted }, labels) === subset;
    }),
  );
});

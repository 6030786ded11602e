// Native ValidatingAdmissionPolicies with their bindings and param objects,
// as they sit in a user's repo, load as podgate policies: one per binding,
// with the binding's actions, params and matchResources, so `podgate test`
// tests policies a cluster runs natively. What podgate cannot do yet is
// refused by name, never guessed.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { PolicyError } from "../../../webhooks/policy/declarative.ts";
import { loadPolicyFiles } from "../../../webhooks/policy/load.ts";
import { runSuite } from "../../../webhooks/policy/suite.ts";

const FIXTURES = new URL("../../fixtures/policy/native/", import.meta.url).pathname;

test("each binding becomes a policy with its actions, params and namespaces; a binding whose params are missing and allowed is dropped", () => {
  const policies = loadPolicyFiles([join(FIXTURES, "policy.yaml"), join(FIXTURES, "bindings.yaml")]);
  assert.deepEqual(
    policies.map((p) => [p.name, p.validationActions, p.match.namespaceSelector]),
    [["allowed-registries-prod", ["Deny"], { matchLabels: { env: "prod" } }]],
  );
  assert.deepEqual((policies[0]!.document!.spec.params as { data: unknown }).data, { registry: "registry.example.com" });
});

test("a PolicyTest judges pods with the native policy as the cluster would", () => {
  const suite = runSuite(join(FIXTURES, "podgate-test.yaml"));
  assert.equal(suite.error, undefined);
  assert.deepEqual(
    suite.cases.map((c) => [c.resource, c.actual, c.ok]),
    [
      ["good", "pass", true],
      ["bad", "fail", true],
      ["anything", "skip", true],
    ],
  );
});

const VAP = {
  apiVersion: "admissionregistration.k8s.io/v1",
  kind: "ValidatingAdmissionPolicy",
  metadata: { name: "p" },
  spec: { matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }] }, validations: [{ expression: "true" }] },
};
const binding = (spec: Record<string, unknown>) => ({ apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingAdmissionPolicyBinding", metadata: { name: "b" }, spec: { policyName: "p", validationActions: ["Deny"], ...spec } });

function problems(documents: readonly unknown[]): string[] {
  const file = join(mkdtempSync(join(tmpdir(), "podgate-native-")), "objects.yaml");
  writeFileSync(file, documents.map((d) => stringify(d)).join("---\n"));
  try {
    loadPolicyFiles([file]);
    return [];
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return error.problems.map((p) => p.replace(file, "objects.yaml"));
  }
}

test("what podgate cannot do yet, or what does not fit together, is refused with the object and the reason", () => {
  const withParams = { ...VAP, spec: { ...VAP.spec, paramKind: { apiVersion: "v1", kind: "ConfigMap" } } };
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm", namespace: "ns" }, data: {} };
  assert.deepEqual(problems([binding({ policyName: "missing" })]), ['ValidatingAdmissionPolicyBinding "b" (objects.yaml): no ValidatingAdmissionPolicy "missing" among the policies given']);
  assert.deepEqual(problems([withParams, binding({})]), ['ValidatingAdmissionPolicyBinding "b" (objects.yaml): the policy has a paramKind, so the binding needs a paramRef']);
  assert.match(problems([withParams, configMap, binding({ paramRef: { name: "cm", parameterNotFoundAction: "Deny" } })])[0]!, /paramRef without a namespace takes namespaced params from each request's namespace, which podgate does not support yet/);
  assert.match(problems([{ ...VAP, spec: { ...VAP.spec, auditAnnotations: [{ key: "k", valueExpression: "'v'" }] } }, binding({})])[0]!, /auditAnnotations are not supported yet/);
  assert.match(problems([VAP, binding({ matchResources: { resourceRules: VAP.spec.matchConstraints.resourceRules } })])[0]!, /a binding's resourceRules are not supported yet/);
  assert.deepEqual(problems([VAP, binding({}), configMap]), ['ConfigMap "cm": not a policy or a binding, and no binding\'s paramRef selects it']);
});

test("params a Deny binding cannot find make a policy that rejects, with the apiserver's message", () => {
  const file = join(mkdtempSync(join(tmpdir(), "podgate-native-")), "objects.yaml");
  const withParams = { ...VAP, spec: { ...VAP.spec, paramKind: { apiVersion: "v1", kind: "ConfigMap" } } };
  writeFileSync(file, [withParams, binding({ paramRef: { name: "absent", namespace: "ns", parameterNotFoundAction: "Deny" } })].map((d) => stringify(d)).join("---\n"));
  const [policy] = loadPolicyFiles([file]);
  assert.equal(policy!.document!.spec.validations[0]!.message, "failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction");
  assert.equal(policy!.document!.spec.validations[0]!.reason, "Invalid");
});

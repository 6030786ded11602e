import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { exportVap, mutatingWebhookConfiguration, webhookConfiguration } from "../../../webhooks/policy/export.ts";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { typedPolicy } from "../../../webhooks/policy/typescript-policy.ts";
import { webhookEntry } from "../../../src/config/schema.ts";
import { policy } from "./requests.ts";

test("declarative policies export as ValidatingAdmissionPolicy + Binding; params and TypeScript are skipped with the reason", () => {
  const policies = [...loadLibrary([{ name: "pss-baseline-privileged" }, { name: "require-labels" }]), typedPolicy({ name: "ts", validate: () => undefined }, "m.ts")];
  const { objects, skipped } = exportVap(policies);
  assert.deepEqual(objects.map((o) => o["kind"]), ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);
  const [vap, binding] = objects as [{ spec: Record<string, unknown> }, { spec: Record<string, unknown> }];
  assert.equal(vap.spec["validationActions"], undefined);
  assert.ok(vap.spec["matchConstraints"] && vap.spec["validations"] && vap.spec["variables"]);
  assert.deepEqual(binding.spec, { policyName: "pss-baseline-privileged", validationActions: ["Deny"] });
  assert.deepEqual(skipped.map((s) => s.policy), ["require-labels", "ts"]);
  assert.match(skipped[0]!.reason, /params/);
});

const rule = (resources: string[], operations = ["CREATE"]) => ({ apiGroups: [""], apiVersions: ["v1"], resources, operations });

/** What a pod rule adds for the pod templates of workloads. */
const WORKLOAD_RULES = [
  { apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments", "statefulsets", "daemonsets", "replicasets"], scope: "Namespaced" },
  { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["replicationcontrollers"], scope: "Namespaced" },
  { apiGroups: ["batch"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["jobs", "cronjobs"], scope: "Namespaced" },
];

test("the webhook configuration unions rules, excludes system namespaces, and ORs match conditions", () => {
  const a = compilePolicy(policy("a", { matchConstraints: { resourceRules: [rule(["pods"])], objectSelector: { matchLabels: { x: "1" } } }, matchConditions: [{ name: "c1", expression: "true" }], validations: [{ expression: "true" }] }), "t");
  const b = compilePolicy(policy("b", { matchConstraints: { resourceRules: [rule(["pods"]), rule(["pods/ephemeralcontainers"], ["UPDATE"])] }, matchConditions: [{ name: "c2", expression: "false" }], validations: [{ expression: "true" }] }), "t");
  const entry = webhookEntry.parse({ name: "policies", type: "policy", timeoutSeconds: 5 });
  const config = webhookConfiguration([{ entry, policies: [a, b] }], { target: { service: { namespace: "podgate", name: "podgate" } }, caBundle: "Q0E=", excludeNamespaces: ["kube-system", "podgate"] }) as {
    webhooks: Record<string, unknown>[];
  };
  const [webhook] = config.webhooks;
  assert.equal(webhook?.["name"], "policies.policy.podgate.dev");
  assert.deepEqual(webhook["clientConfig"], { service: { namespace: "podgate", name: "podgate", path: "/validate/policies", port: 443 }, caBundle: "Q0E=" });
  assert.deepEqual(webhook["rules"], [{ ...rule(["pods"]), scope: "*" }, ...WORKLOAD_RULES, { ...rule(["pods/ephemeralcontainers"], ["UPDATE"]), scope: "*" }]);
  assert.deepEqual(webhook["namespaceSelector"], { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "podgate"] }] });
  // The object selectors differ, so the apiserver cannot filter on them: podgate does.
  assert.equal(webhook["objectSelector"], undefined);
  // The apiserver tests conditions on the Deployment, not its template's Pod: workloads always pass them.
  assert.deepEqual(webhook["matchConditions"], [
    { name: "any-policy", expression: "((true)) || ((false)) || (request.resource.resource in ['deployments', 'statefulsets', 'daemonsets', 'replicasets', 'replicationcontrollers', 'jobs', 'cronjobs'])" },
  ]);
  assert.equal(webhook["timeoutSeconds"], 5);
  assert.equal(webhook["sideEffects"], "None");
});

test("a policy with autogen off adds no workload rules, and its match conditions stay as written", () => {
  const off = compilePolicy(
    policy("off", { matchConstraints: { resourceRules: [rule(["pods"])] }, matchConditions: [{ name: "c", expression: "true" }], validations: [{ expression: "true" }] }, { "podgate.dev/autogen": "false" }),
    "t",
  );
  assert.equal(off.autogen, false);
  const entry = webhookEntry.parse({ name: "policies", type: "policy" });
  const [webhook] = (webhookConfiguration([{ entry, policies: [off] }], { target: { url: "https://h" }, excludeNamespaces: [] }) as { webhooks: Record<string, unknown>[] }).webhooks;
  assert.deepEqual(webhook?.["rules"], [{ ...rule(["pods"]), scope: "*" }]);
  assert.deepEqual(webhook?.["matchConditions"], [{ name: "c", expression: "true" }]);
});

test("the built-in mutating webhooks export as one entry: one call per create, failing closed if any does, the timeout their sum", () => {
  const entry = (name: string, type: string, failurePolicy: string, timeoutSeconds: number) => webhookEntry.parse({ name, type, failurePolicy, timeoutSeconds });
  const options = { target: { url: "https://127.0.0.1:8443" }, excludeNamespaces: ["kube-system"] };
  const { configuration, skipped } = mutatingWebhookConfiguration([entry("sidecar", "sidecar", "Fail", 5), entry("defaults", "defaults", "Ignore", 5), webhookEntry.parse({ name: "mine", module: "./m.ts" })], options);
  const webhooks = (configuration as { webhooks: Record<string, unknown>[] }).webhooks;
  assert.deepEqual(
    webhooks.map((w) => [w["name"], w["clientConfig"], w["failurePolicy"], w["timeoutSeconds"], w["reinvocationPolicy"]]),
    [["sidecar.defaults.mutate.podgate.dev", { url: "https://127.0.0.1:8443/mutate/sidecar/defaults" }, "Fail", 10, "Never"]],
  );
  assert.deepEqual(skipped, ["mine"]);
  const lenient = mutatingWebhookConfiguration([entry("defaults", "defaults", "Ignore", 20), entry("sidecar", "sidecar", "Ignore", 20)], options);
  assert.deepEqual((lenient.configuration as { webhooks: Record<string, unknown>[] }).webhooks.map((w) => [w["clientConfig"], w["failurePolicy"], w["timeoutSeconds"]]), [
    [{ url: "https://127.0.0.1:8443/mutate/defaults/sidecar" }, "Ignore", 30],
  ]);
});

test("policies on the same requests export as one VAP: shared variables once, clashing ones renamed, each message naming its policy", () => {
  const doc = (name: string, variables: { name: string; expression: string }[], validations: Record<string, unknown>[]) => compilePolicy(policy(name, { variables, validations }), `${name}.yaml`);
  const policies = [
    doc("a", [{ name: "containers", expression: "object.spec.containers" }], [{ expression: "variables.containers.all(c, c.name != 'x')", messageExpression: "'no x: ' + object.metadata.name" }]),
    doc("b", [{ name: "containers", expression: "object.spec.containers" }, { name: "n", expression: "size(variables.containers)" }], [{ expression: "variables.n < 5", message: "too many" }]),
    doc("c", [{ name: "containers", expression: "object.spec.initContainers" }], [{ expression: "variables.containers.size() == 0 && !('variables.containers' in object.metadata)" }]),
  ];
  const { objects } = exportVap(policies);
  assert.deepEqual(objects.map((o) => [o["kind"], (o["metadata"] as { name: string }).name]), [
    ["ValidatingAdmissionPolicy", "podgate-policies"],
    ["ValidatingAdmissionPolicyBinding", "podgate-policies-binding"],
  ]);
  const spec = (objects[0] as { spec: { variables: unknown[]; validations: Record<string, string>[] } }).spec;
  assert.deepEqual(spec.variables, [
    { name: "containers", expression: "object.spec.containers" },
    { name: "n", expression: "size(variables.containers)" },
    { name: "containers_2", expression: "object.spec.initContainers" },
  ]);
  assert.deepEqual(
    spec.validations.map((v) => [v["expression"], v["message"], v["messageExpression"]]),
    [
      ["variables.containers.all(c, c.name != 'x')", "a: failed expression: variables.containers.all(c, c.name != 'x')", "'a: ' + ('no x: ' + object.metadata.name)"],
      ["variables.n < 5", "b: too many", undefined],
      // A string literal that spells a reference is renamed too: harmless, as it is only text.
      ["variables.containers_2.size() == 0 && !('variables.containers_2' in object.metadata)", "c: failed expression: variables.containers_2.size() == 0 && !('variables.containers_2' in object.metadata)", undefined],
    ],
  );
  assert.equal((objects[0]!["metadata"] as { annotations: Record<string, string> }).annotations["podgate.dev/policies"], "a, b, c");
  assert.equal(exportVap(policies, { separate: true }).objects.length, 6);
});

test("policies that differ in requests, failure policy or actions get a VAP each; a group of one keeps its own name", () => {
  const [privileged] = loadLibrary([{ name: "pss-baseline-privileged" }]);
  const [latest] = loadLibrary([{ name: "disallow-latest-tag", validationActions: ["Warn"] }]);
  const { objects } = exportVap([privileged!, latest!]);
  assert.deepEqual(objects.filter((o) => o["kind"] === "ValidatingAdmissionPolicy").map((o) => (o["metadata"] as { name: string }).name), ["pss-baseline-privileged", "disallow-latest-tag"]);
});

test("an entry's own rules are what export registers: a module's webhook gets an entry, a policy webhook's rules are replaced", () => {
  const pods = [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }];
  const options = { target: { url: "https://h" }, excludeNamespaces: [] };
  const module = webhookEntry.parse({ name: "team-label", module: "./team-label.ts", rules: pods });
  const { configuration, skipped } = mutatingWebhookConfiguration([module], options);
  assert.deepEqual(skipped, []);
  const [mutating] = (configuration as { webhooks: Record<string, unknown>[] }).webhooks;
  assert.deepEqual([mutating?.["clientConfig"], mutating?.["rules"]], [{ url: "https://h/mutate/team-label" }, [{ ...pods[0], scope: "*" }]]);
  const off = compilePolicy(policy("p", { matchConstraints: { resourceRules: [rule(["pods", "services"])] }, validations: [{ expression: "true" }] }), "t");
  const entry = webhookEntry.parse({ name: "policies", type: "policy", rules: pods });
  const [validating] = (webhookConfiguration([{ entry, policies: [off] }], options) as { webhooks: Record<string, unknown>[] }).webhooks;
  assert.deepEqual(validating?.["rules"], [{ ...pods[0], scope: "*" }]);
});

test("a webhook entry's rules are checked where they are written: the key path and what was expected", () => {
  const result = webhookEntry.safeParse({ name: "m", module: "./m.ts", rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["PATCH"], resources: ["pods"] }] });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => i.path.join(".")), ["rules.0.operations.0"]);
  assert.equal(webhookEntry.safeParse({ name: "m", module: "./m.ts", rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resource: ["pods"] }] }).success, false);
});

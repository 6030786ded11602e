import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { decide, evaluateAll } from "../../../webhooks/policy/decide.ts";
import { policy, podRequest } from "./requests.ts";

const noHostNetwork = (extra: Record<string, unknown> = {}) =>
  compilePolicy(policy("no-host-network", { validations: [{ expression: "!object.spec.?hostNetwork.orValue(false)", message: "no hostNetwork" }], ...extra }), "test");
const noLatest = (actions: string[]) =>
  compilePolicy(
    policy("no-latest", {
      validationActions: actions,
      validations: [{ expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))", messageExpression: "'latest: ' + object.spec.containers.map(c, c.name).join(',')" }],
    }),
    "test",
  );
const hostNetworkPod = podRequest({ hostNetwork: true, containers: [{ name: "app", image: "nginx:latest" }] });

test("a failing Deny policy denies with 403 and its message", () => {
  const decision = decide(evaluateAll([noHostNetwork()], { request: hostNetworkPod }));
  assert.equal(decision.allowed, false);
  assert.equal(decision.status?.code, 403);
  assert.equal(decision.status?.message, "policy no-host-network: no hostNetwork");
});

test("every failing policy is reported, not just the first", () => {
  const decision = decide(evaluateAll([noHostNetwork(), noLatest(["Deny"])], { request: hostNetworkPod }));
  assert.equal(decision.status?.message, "policy no-host-network: no hostNetwork; policy no-latest: latest: app");
});

test("Warn becomes a warning and Audit an audit annotation with a JSON value", () => {
  const warned = decide(evaluateAll([noLatest(["Warn", "Audit"])], { request: hostNetworkPod }));
  assert.equal(warned.allowed, true);
  assert.deepEqual(warned.warnings, ["policy no-latest: latest: app"]);
  assert.deepEqual(JSON.parse(warned.auditAnnotations?.["no-latest"] ?? "null"), [
    { message: "latest: app", policy: "no-latest", expressionIndex: 0, validationActions: ["Warn", "Audit"] },
  ]);
});

test("reason maps to the status code as in ValidatingAdmissionPolicy", () => {
  for (const [reason, code] of [["Invalid", 422], ["Unauthorized", 401], ["RequestEntityTooLarge", 413], ["Forbidden", 403]] as const) {
    const p = compilePolicy(policy("r", { validations: [{ expression: "false", message: "no", reason }] }), "test");
    const decision = decide(evaluateAll([p], { request: hostNetworkPod }));
    assert.equal(decision.status?.code, code);
    assert.equal(decision.status?.reason, reason);
  }
});

test("without message or messageExpression the failed expression is the message; a failing messageExpression falls back", () => {
  const p = compilePolicy(policy("m", { validations: [{ expression: "1 == 2" }, { expression: "false", message: "static", messageExpression: "object.missing" }] }), "test");
  const verdict = p.evaluate({ request: hostNetworkPod });
  assert.equal(verdict.result, "fail");
  assert.deepEqual(verdict.result === "fail" && verdict.violations.map((v) => v.message), ["failed expression: 1 == 2", "static"]);
});

test("a runtime CEL error follows failurePolicy: Fail denies, Ignore allows", () => {
  const spec = { validations: [{ expression: "object.spec.nodeName == 'x'" }] };
  const failing = compilePolicy(policy("strict", spec), "test");
  const ignoring = compilePolicy(policy("lenient", { ...spec, failurePolicy: "Ignore" }), "test");
  const input = { request: hostNetworkPod };
  assert.equal(failing.evaluate(input).result, "error");
  const denied = decide(evaluateAll([failing], input));
  assert.equal(denied.allowed, false);
  assert.match(denied.status?.message ?? "", /policy strict: evaluation failed: validations\[0\].*No such key: nodeName/);
  assert.equal(decide(evaluateAll([ignoring], input)).allowed, true);
});

test("variables are visible as variables.<name>, and a failed variable fails only what reads it", () => {
  const p = compilePolicy(
    policy("vars", {
      variables: [
        { name: "names", expression: "object.spec.containers.map(c, c.name)" },
        { name: "broken", expression: "object.spec.nodeName" },
        { name: "count", expression: "size(variables.names)" },
      ],
      validations: [{ expression: "variables.count == 1" }, { expression: "variables.names[0] == 'other'", message: "first is not other" }],
    }),
    "test",
  );
  const verdict = p.evaluate({ request: hostNetworkPod });
  assert.deepEqual(verdict, { result: "fail", violations: [{ message: "first is not other", reason: "Forbidden", expressionIndex: 1 }] });
});

test("match conditions skip the policy when false", () => {
  const p = noHostNetwork({ matchConditions: [{ name: "labelled", expression: "has(object.metadata.labels) && 'enforce' in object.metadata.labels" }] });
  assert.equal(p.evaluate({ request: hostNetworkPod }).result, "skip");
  assert.equal(p.evaluate({ request: podRequest({ hostNetwork: true }, {}, { labels: { enforce: "yes" } }) }).result, "fail");
});

test("request, oldObject, namespaceObject and params are bound", () => {
  const p = compilePolicy(
    policy("bindings", {
      params: { owner: "team-a" },
      validations: [
        { expression: "request.operation == 'UPDATE' && request.userInfo.username == 'alice'" },
        { expression: "oldObject.spec.hostNetwork == false" },
        { expression: "namespaceObject.metadata.labels.owner == params.owner" },
      ],
    }),
    "test",
  );
  const request = podRequest({ hostNetwork: true }, { operation: "UPDATE", userInfo: { username: "alice" }, oldObject: { spec: { hostNetwork: false } } });
  assert.equal(p.evaluate({ request, namespaceObject: { metadata: { name: "default", labels: { owner: "team-a" } } } }).result, "pass");
  assert.equal(p.evaluate({ request, namespaceObject: { metadata: { name: "default", labels: { owner: "team-b" } } } }).result, "fail");
});

test("a policy for other resources skips pods", () => {
  const p = compilePolicy(
    policy("deployments-only", { matchConstraints: { resourceRules: [{ apiGroups: ["apps"], apiVersions: ["v1"], resources: ["deployments"], operations: ["*"] }] }, validations: [{ expression: "false" }] }),
    "test",
  );
  assert.equal(p.evaluate({ request: hostNetworkPod }).result, "skip");
});

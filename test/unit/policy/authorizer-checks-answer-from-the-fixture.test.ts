// Policies may ask kube-apiserver's authorizer (`authorizer.group(...)...check(verb)`).
// podgate cannot ask the cluster from a policy: offline the checks are answered
// from the test's authorizer fixture, as the requesting user; with no fixture
// they fail with a message saying so, and failurePolicy decides.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { evaluateAll } from "../../../webhooks/policy/decide.ts";
import { runSuite } from "../../../webhooks/policy/suite.ts";
import { policy, podRequest } from "./requests.ts";

const onlyWhoMayCreateIn = compilePolicy(
  policy("may-create-here", {
    validations: [
      {
        expression: "authorizer.group('').resource('pods').namespace(object.metadata.namespace).check('create').allowed() && authorizer.requestResource.check('create').allowed()",
        messageExpression: "'not allowed: ' + authorizer.group('').resource('pods').namespace(object.metadata.namespace).check('create').reason()",
      },
    ],
  }),
  "test",
);

const request = (user: string, namespace: string) => podRequest({ containers: [{ name: "app", image: "nginx" }] }, { namespace, userInfo: { username: user, groups: ["devs"] } }, { namespace });
const rules = [
  { user: "alice", verb: "create", resource: "pods", namespace: "team-a", decision: "allow" as const, reason: "alice owns team-a" },
  { verb: "create", resource: "pods", decision: "deny" as const, reason: "not your namespace" },
];

test("checks are answered from the fixture, as the request's user", () => {
  const verdict = (user: string, namespace: string) => evaluateAll([onlyWhoMayCreateIn], { request: request(user, namespace), authorizer: { rules } })[0]!.verdict;
  assert.deepEqual(verdict("alice", "team-a"), { result: "pass" });
  const denied = verdict("bob", "team-a");
  assert.equal(denied.result, "fail");
  assert.match(denied.result === "fail" ? denied.violations[0]!.message : "", /not allowed: not your namespace/);
});

test("without a fixture a check fails with the reason, not a silent verdict", () => {
  const verdict = evaluateAll([onlyWhoMayCreateIn], { request: request("alice", "team-a") })[0]!.verdict;
  assert.equal(verdict.result, "error");
  assert.match(verdict.result === "error" ? verdict.error : "", /authorizer checks need the cluster's authorizer.*authorizer fixture/);
});

test("a PolicyTest's authorizer fixture answers its policies' checks", () => {
  const suite = runSuite(new URL("../../fixtures/policy/authorizer/podgate-test.yaml", import.meta.url).pathname);
  assert.equal(suite.error, undefined);
  assert.deepEqual(
    suite.cases.map((c) => [c.resource, c.actual, c.ok]),
    [
      ["build", "pass", true],
      ["web", "pass", true],
      ["sneaky", "fail", true],
    ],
  );
});

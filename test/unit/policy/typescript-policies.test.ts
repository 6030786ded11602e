import assert from "node:assert/strict";
import { test } from "node:test";
import { decide, evaluateAll } from "../../../webhooks/policy/decide.ts";
import { PolicyError } from "../../../webhooks/policy/declarative.ts";
import { loadPolicyModules } from "../../../webhooks/policy/load.ts";
import { typedPolicy } from "../../../webhooks/policy/typescript-policy.ts";
import typedModule from "../../fixtures/policy/typed-policy.ts";
import { podRequest } from "./requests.ts";

const modulePath = new URL("../../fixtures/policy/typed-policy.ts", import.meta.url).pathname;
const containers = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: "x:1" }));

test("a TypeScript policy module loads and its findings become the decision", () => {
  const [policy] = loadPolicyModules([modulePath]);
  assert.equal(policy?.name, "max-containers");
  assert.equal(policy.evaluate({ request: podRequest({ containers: containers(2) }) }).result, "pass");
  const decision = decide(evaluateAll([policy], { request: podRequest({ containers: containers(3) }) }));
  assert.equal(decision.allowed, false);
  assert.equal(decision.status?.code, 422);
  assert.equal(decision.status?.message, "policy max-containers: 3 containers, at most 2 allowed");
});

test("a throwing policy is an error verdict, never a crash", () => {
  const [policy] = loadPolicyModules([modulePath]);
  const verdict = policy!.evaluate({ request: podRequest({ containers: [] }, {}, { name: "explode" }) });
  assert.deepEqual(verdict, { result: "error", error: "validate() threw: boom" });
});

test("params from the config replace the module's", () => {
  const policy = typedPolicy(typedModule, "test", { params: { maxContainers: 5 } });
  assert.equal(policy.evaluate({ request: podRequest({ containers: containers(4) }) }).result, "pass");
});

test("a bad export is reported with the module and field", () => {
  assert.throws(() => typedPolicy({ name: "x", validate: "no" }, "m.ts"), (e: unknown) => e instanceof PolicyError && /policy "x" \(m\.ts\): validate: must be a function/.test(e.message));
  assert.throws(() => loadPolicyModules(["/nonexistent/policy.ts"]), /\/nonexistent\/policy\.ts: cannot load module/);
});

test("a finding of the wrong shape is an error verdict", () => {
  const policy = typedPolicy({ name: "odd", validate: () => [42] }, "test");
  assert.equal(policy.evaluate({ request: podRequest({ containers: [] }) }).result, "error");
});

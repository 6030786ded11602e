// The policy engine keeps no request in module state: what one review's policies share
// (CEL bindings, match answers, shared variables, the CEL budget) lives in that review's
// ReviewState, so two reviews evaluated interleaved get what each gets alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { evaluateAll } from "../../../webhooks/policy/decide.ts";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { ReviewState } from "../../../webhooks/policy/policy.ts";
import { podRequest, policy } from "./requests.ts";

const library = loadLibrary([{ name: "pss-baseline" }, { name: "pss-restricted" }]);
const privileged = { request: podRequest({ hostNetwork: true, containers: [{ name: "a", image: "a:1", securityContext: { privileged: true, capabilities: { add: ["NET_ADMIN"] } } }] }) };
const compliant = {
  request: podRequest({
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [{ name: "b", image: "b:1", securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
  }),
};

test("two reviews evaluated interleaved, policy by policy, get the verdicts each gets alone", () => {
  const alone = [privileged, compliant].map((input) => evaluateAll(library, input).map((o) => o.verdict));
  const states = [new ReviewState(), new ReviewState()];
  const interleaved: unknown[][] = [[], []];
  for (const policy of library) {
    interleaved[0]!.push(policy.evaluate(privileged, states[0]));
    interleaved[1]!.push(policy.evaluate(compliant, states[1]));
  }
  assert.deepEqual(interleaved, alone);
  assert.ok(alone[0]!.some((v) => v.result === "fail") && alone[1]!.every((v) => v.result !== "fail"));
});

test("one review spending its CEL budget leaves another's untouched", () => {
  const walk = compilePolicy(policy("walk", { validations: [{ expression: "object.spec.containers.all(c, c.env.all(e, e.name != ''))" }] }), "t");
  const big = { request: podRequest({ containers: [{ name: "a", image: "a:1", env: Array.from({ length: 150_000 }, (_, i) => ({ name: `V${i}` })) }] }) };
  const small = { request: podRequest({ containers: [{ name: "a", image: "a:1", env: [{ name: "X" }] }] }) };
  const spent = new ReviewState();
  const other = new ReviewState();
  for (let i = 0; i < 11; i++) assert.equal(walk.evaluate(big, spent).result, "pass");
  assert.equal(walk.evaluate(small, other).result, "pass");
  assert.match((walk.evaluate(big, spent) as { error: string }).error, /CEL runtime cost budget exceeded/);
  assert.equal(walk.evaluate(big, other).result, "pass");
});

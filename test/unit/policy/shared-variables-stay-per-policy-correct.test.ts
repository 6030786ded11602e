// Variables that read only the request are evaluated once per request and
// shared by every policy declaring the same expression (declarative.ts). What
// must not be shared: values that depend on a policy's params or on its other
// variables, errors under another policy's variable name, or a previous request's values.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import type { Verdict } from "../../../webhooks/policy/policy.ts";
import { podRequest, policy } from "./requests.ts";

const messages = (verdict: Verdict) => (verdict.result === "fail" ? verdict.violations.map((v) => v.message) : verdict.result === "error" ? [verdict.error] : []);

/** A policy that always fails with the value of `variables.<name>` as its message. */
const reporting = (name: string, variables: { name: string; expression: string }[], shown: string, extra: Record<string, unknown> = {}) =>
  compilePolicy(policy(name, { variables, validations: [{ expression: "false", messageExpression: `string(${shown})` }], ...extra }), "test");

const request = podRequest({ nodeName: "n-1", containers: [{ name: "app", image: "nginx" }] });

test("the same request-only expression gives every policy the same, right value", () => {
  const a = reporting("a", [{ name: "count", expression: "size(object.spec.containers)" }], "variables.count");
  const b = reporting("b", [{ name: "n", expression: "size(object.spec.containers)" }], "variables.n");
  const input = { request };
  assert.deepEqual([...messages(a.evaluate(input)), ...messages(b.evaluate(input))], ["1", "1"]);
});

test("a variable that reads params is each policy's own", () => {
  const withParams = (name: string, prefix: string) =>
    reporting(name, [{ name: "label", expression: "params.prefix + object.spec.nodeName" }], "variables.label", { params: { prefix } });
  const input = { request };
  assert.deepEqual([...messages(withParams("a", "x-").evaluate(input)), ...messages(withParams("b", "y-").evaluate(input))], ["x-n-1", "y-n-1"]);
});

test("a variable that reads another variable is each policy's own", () => {
  const chained = (name: string, base: string) =>
    reporting(name, [{ name: "base", expression: base }, { name: "next", expression: "variables.base + 1" }], "variables.next");
  const input = { request };
  assert.deepEqual([...messages(chained("a", "1").evaluate(input)), ...messages(chained("b", "41").evaluate(input))], ["2", "42"]);
});

test("a shared variable's error is reported under each policy's own variable name", () => {
  const broken = (name: string, variable: string) =>
    compilePolicy(policy(name, { variables: [{ name: variable, expression: "object.spec.missing.field" }], validations: [{ expression: `variables.${variable} == 1` }] }), "test");
  const input = { request };
  const [a, b] = [broken("a", "first").evaluate(input), broken("b", "second").evaluate(input)];
  assert.match(messages(a)[0] ?? "", /variables\.first:/);
  assert.match(messages(b)[0] ?? "", /variables\.second:/);
});

test("the next request gets its own values", () => {
  const p = reporting("a", [{ name: "node", expression: "object.spec.nodeName" }], "variables.node");
  assert.deepEqual(messages(p.evaluate({ request })), ["n-1"]);
  assert.deepEqual(messages(p.evaluate({ request: podRequest({ nodeName: "n-2", containers: [] }) })), ["n-2"]);
});

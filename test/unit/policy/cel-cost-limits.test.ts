// CEL cost is bounded as kube-apiserver bounds admission policies: an estimate
// refused at load, a runtime limit per expression (1,000,000) and a budget per
// review (10,000,000). An expression over budget at run time is stopped at the
// limit — not run to completion — and fails by its policy's failurePolicy with
// a message naming the expression.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileCel } from "../../../webhooks/policy/cel.ts";
import { PER_EXPRESSION_LIMIT, PER_REVIEW_LIMIT } from "../../../webhooks/policy/cel-cost.ts";
import { compilePolicy, PolicyError } from "../../../webhooks/policy/declarative.ts";
import { decide, evaluateAll } from "../../../webhooks/policy/decide.ts";
import { podRequest, policy } from "./requests.ts";

/** Unique env names, checked pairwise: quadratic in the env list, though the estimate (a list read from the element) counts it as linear. */
const UNIQUE_ENV = "object.spec.containers.all(c, c.?env.orValue([]).all(e, c.?env.orValue([]).all(f, e.name != f.name || e == f)))";

const envPod = (count: number) => podRequest({ containers: [{ name: "app", image: "app:1", env: Array.from({ length: count }, (_, i) => ({ name: `V${i}`, value: "x" })) }] });

test("an expression whose estimated cost is over the limit is refused at load, naming it", () => {
  const quadratic = "object.spec.containers.all(c, object.spec.volumes.all(v, c.name != v.name))";
  assert.throws(
    () => compilePolicy(policy("pairs", { validations: [{ expression: "true" }, { expression: quadratic }] }), "pairs.yaml"),
    (error: unknown) =>
      error instanceof PolicyError &&
      error.problems.length === 1 &&
      error.problems[0] ===
        `policy "pairs" (pairs.yaml): spec.validations[1].expression: estimated cost 6,005,004 exceeds the per-expression limit 1,000,000 (kube-apiserver's; lists counted at 1,000 items): ${quadratic}`,
  );
});

test("lists the estimate can size are sized: literals and params", () => {
  const estimate = (source: string, params?: unknown) => compileCel(source, "bool").estimatedCost(params);
  assert.equal(estimate("[1, 2, 3].all(x, x > 0)"), 17);
  assert.ok(estimate("params.names.all(n, object.spec.containers.all(c, c.name != n))", { names: ["a", "b"] }) < PER_EXPRESSION_LIMIT);
  assert.ok(estimate("object.spec.containers.all(c, c.name != '')") < 10_000);
});

{
  const expression = UNIQUE_ENV;
  test("a quadratic expression is stopped at the runtime limit and fails by failurePolicy, naming it", () => {
    const fail = compilePolicy(policy("unique-env", { validations: [{ expression }] }), "test");
    const ignore = compilePolicy(policy("unique-env", { failurePolicy: "Ignore", validations: [{ expression }] }), "test");
    // Small lists are fine.
    assert.equal(evaluateAll([fail], { request: envPod(50) })[0]!.verdict.result, "pass");
    // 2,000 env vars: 4 million pairs, far over 1,000,000.
    const request = envPod(2_000);
    const started = performance.now();
    const [outcome] = evaluateAll([fail], { request });
    const stoppedMs = performance.now() - started;
    assert.equal(outcome!.verdict.result, "error");
    assert.equal(
      (outcome!.verdict as { error: string }).error,
      `validations[0] (${expression}): CEL runtime cost limit exceeded: over 1,000,000 for this expression`,
    );
    const denied = decide([outcome!]);
    assert.equal(denied.allowed, false);
    assert.match(denied.status!.message, /^policy unique-env: evaluation failed: validations\[0\] \(.*\): CEL runtime cost limit exceeded/);
    assert.equal(decide(evaluateAll([ignore], { request })).allowed, true);
    // Run to completion, the same check takes far longer: the limit stops it early.
    process.stdout.write(`# quadratic expression over 2,000 env vars stopped at the limit after ${stoppedMs.toFixed(1)} ms\n`);
  });
}

test("the per-review budget stops a review whose expressions together spend over 10,000,000", () => {
  // Each validation walks 150,000 env vars once (6 units each: about 900,000, under the per-expression limit).
  const walk = "object.spec.containers.all(c, c.env.all(e, e.name != ''))";
  const validations = Array.from({ length: 12 }, () => ({ expression: walk }));
  const many = compilePolicy(policy("walks", { validations }), "test");
  const [outcome] = evaluateAll([many], { request: envPod(150_000) });
  assert.equal(outcome!.verdict.result, "error");
  const error = (outcome!.verdict as { error: string }).error;
  assert.doesNotMatch(error, /validations\[(\d|10)\] /, "the first eleven fit the budget");
  assert.match(error, /^validations\[11\] \(.*\): CEL runtime cost budget exceeded: over 10,000,000 for this review$/);
  assert.ok(PER_REVIEW_LIMIT / PER_EXPRESSION_LIMIT === 10);
  // The next review has its own budget.
  assert.equal(evaluateAll([many], { request: envPod(10) })[0]!.verdict.result, "pass");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { CelCompileError, compileCel, fromCel, toCel } from "../../../webhooks/policy/cel.ts";

test("a syntax error reports its line and column", () => {
  assert.throws(
    () => compileCel("object.spec.containers.all(c,\n  c.image ==)", "bool"),
    (error: unknown) => error instanceof CelCompileError && error.line === 2 && error.column === 13 && /line 2, column 13/.test(error.message),
  );
});

test("a type error is caught at compile time", () => {
  assert.throws(() => compileCel("1 + 'a' == 2", "bool"), /no such overload/);
});

test("an expression must have the type its field needs", () => {
  assert.throws(() => compileCel("'text'", "bool"), /must evaluate to bool, but it is string/);
  assert.equal(compileCel("object.spec.hostNetwork", "bool").source, "object.spec.hostNetwork");
});

test("unknown variables are rejected; VAP's variables are known", () => {
  assert.throws(() => compileCel("principal.name == 'x'", "any"), /Unknown variable: principal/);
  for (const name of ["object", "oldObject", "request", "params", "namespaceObject", "variables"]) compileCel(`${name} == null`, "bool");
  compileCel("authorizer.path('/healthz').check('get').allowed()", "bool");
});

test("variable references and params use are found in the expression", () => {
  const program = compileCel("variables.a.size() > 0 && variables.b == params.x", "bool");
  assert.deepEqual([...program.variableRefs].sort(), ["a", "b"]);
  assert.equal(program.usesParams, true);
  assert.equal(compileCel("object.x == 1", "bool").usesParams, false);
});

test("JSON integers become CEL ints and come back as numbers", () => {
  const value = toCel({ a: 1, b: [2.5, "x"], c: null });
  assert.deepEqual(value, { a: 1n, b: [2.5, "x"], c: null });
  assert.deepEqual(fromCel(value), { a: 1, b: [2.5, "x"], c: null });
  assert.equal(compileCel("object.spec.replicas == 3", "bool").run({ object: toCel({ spec: { replicas: 3 } }) }), true);
});

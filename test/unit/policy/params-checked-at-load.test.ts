// Params are checked at load against what the policy declares (spec.paramsSchema,
// or the keys and types of its default spec.params): a misspelt or mistyped param
// fails the config naming its key path, instead of loading and then denying
// every pod with "evaluation failed: No such key".
import assert from "node:assert/strict";
import { test } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { compilePolicy, PolicyError } from "../../../webhooks/policy/declarative.ts";
import { evaluateAll } from "../../../webhooks/policy/decide.ts";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { paramsProblems, paramsSchemaOf } from "../../../webhooks/policy/params.ts";
import { podRequest, policy } from "./requests.ts";

function configProblems(library: string): string[] {
  try {
    parseConfig(`admission: {validating: [{name: policy, type: policy, settings: {library: ${library}}}]}`, registry);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return [...error.problems];
  }
  assert.fail("expected the config to fail");
}

function policyProblems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof PolicyError, String(error));
    return [...error.problems];
  }
  assert.fail("expected the load to fail");
}

test("a misspelt library param fails the config with its key path (the issue's registry for registries)", () => {
  const found = configProblems("[{name: allowed-registries, params: {registry: [ghcr.io]}}]");
  assert.deepEqual(found, [
    "admission.validating[0].settings.library[0].params.registries: Invalid input: expected array, received undefined",
    "admission.validating[0].settings.library[0].params.registry: unknown key",
  ]);
});

test("a param of the wrong type names the element", () => {
  assert.deepEqual(configProblems("[{name: allowed-registries, params: {registries: [ghcr.io, 5]}}]"), [
    "admission.validating[0].settings.library[0].params.registries[1]: Invalid input: expected string, received number",
  ]);
  assert.match(configProblems("[{name: require-labels, params: {labels: app}}]").join("\n"), /library\[0\]\.params\.labels: Invalid input: expected array, received string/);
});

test("params given to a whole set are checked against each of its policies, naming the policy", () => {
  const found = configProblems("[{name: best-practices, params: {labels: [team]}}]");
  assert.ok(found.includes('admission.validating[0].settings.library[0].params.labels: unknown key (policy "allowed-registries" of set "best-practices")'), found.join("\n"));
});

test("right params load and are what the expressions read", () => {
  const [allowed] = loadLibrary([{ name: "allowed-registries", params: { registries: ["ghcr.io"] } }]);
  const verdict = (image: string) => evaluateAll([allowed!], { request: podRequest({ containers: [{ name: "a", image }] }) })[0]!.verdict.result;
  assert.equal(verdict("ghcr.io/org/app:1"), "pass");
  assert.equal(verdict("registry.k8s.io/pause:3.10"), "fail");
});

test("a policy file's own default params must match its paramsSchema", () => {
  const found = policyProblems(() =>
    compilePolicy(
      policy("ports", {
        params: { maxPorts: "ten" },
        paramsSchema: { type: "object", properties: { maxPorts: { type: "integer", minimum: 0 } } },
        validations: [{ expression: "size(object.spec.containers) <= params.maxPorts" }],
      }),
      "ports.yaml",
    ),
  );
  assert.deepEqual(found, ['policy "ports" (ports.yaml): spec.params.maxPorts: Invalid input: expected number, received string']);
});

test("a paramsSchema zod cannot read is refused at load, naming spec.paramsSchema", () => {
  const found = policyProblems(() => compilePolicy(policy("odd", { paramsSchema: { type: "tuple-of-things" }, validations: [{ expression: "true" }] }), "odd.yaml"));
  assert.equal(found.length, 1);
  assert.match(found[0]!, /^policy "odd" \(odd\.yaml\): spec\.paramsSchema: not a usable JSON Schema: /);
});

test("without a paramsSchema, the default params' keys and types are the declaration", () => {
  const declared = paramsSchemaOf({ params: { labels: ["a"], strict: true } });
  assert.ok("schema" in declared);
  assert.deepEqual(paramsProblems(declared.schema, { labels: ["b"] }, "params"), []);
  assert.deepEqual(paramsProblems(declared.schema, { lables: ["b"], strict: "yes" }, "params"), [
    "params.strict: Invalid input: expected boolean, received string",
    "params.lables: unknown key",
  ]);
  // A policy that declares no params takes none.
  const none = paramsSchemaOf({});
  assert.ok("schema" in none);
  assert.deepEqual(paramsProblems(none.schema, { anything: 1 }, "params"), ["params.anything: unknown key"]);
});

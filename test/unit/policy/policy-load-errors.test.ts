import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { compilePolicy, PolicyError } from "../../../webhooks/policy/declarative.ts";
import { loadLibrary, loadPolicyFiles } from "../../../webhooks/policy/load.ts";
import { policy } from "./requests.ts";

const fixture = (name: string) => new URL(`../../fixtures/policy/${name}`, import.meta.url).pathname;

function problems(load: () => unknown): string[] {
  try {
    load();
  } catch (error) {
    assert.ok(error instanceof PolicyError, `expected a PolicyError, got ${String(error)}`);
    return [...error.problems];
  }
  assert.fail("expected the load to fail");
}

test("every bad expression is reported with the policy name, field path and CEL position", () => {
  const found = problems(() => loadPolicyFiles([fixture("bad-policies.yaml")]));
  assert.equal(found.length, 3, found.join("\n"));
  assert.match(found[0]!, /^policy "broken" \(.*bad-policies\.yaml\): spec\.validations\[2\]\.expression: Unexpected token.*\(at line 2, column 13\)$/);
  assert.match(found[1]!, /spec\.validations\[3\]\.expression: no such overload: int \+ string \(at line 1, column 1\)/);
  assert.match(found[2]!, /spec\.validations\[4\]\.expression: variables\.nope is not defined/);
});

test("an unknown field is an error naming its path, said as every unknown key is", () => {
  const dir = mkdtempSync(join(tmpdir(), "podgate-policy-"));
  const file = join(dir, "typo.yaml");
  writeFileSync(file, "apiVersion: podgate.dev/v1alpha1\nkind: Policy\nmetadata: {name: typo}\nspec:\n  matchConstraints: {resourceRules: [{apiGroups: [''], apiVersions: [v1], resources: [pods], operations: [CREATE]}]}\n  validations: [{expression: 'true', mesage: x}]\n");
  assert.deepEqual(problems(() => loadPolicyFiles([file])), [`policy "typo" (${file}): spec.validations[0].mesage: unknown key`]);
});

test("a variable may only use variables defined before it", () => {
  const found = problems(() =>
    compilePolicy(policy("order", { variables: [{ name: "a", expression: "variables.b" }, { name: "b", expression: "1" }], validations: [{ expression: "true" }] }), "test"),
  );
  assert.match(found[0]!, /spec\.variables\[0\]\.expression: variables\.b is not defined/);
});

test("Deny with Warn is refused, as a ValidatingAdmissionPolicyBinding refuses it", () => {
  assert.throws(() => policy("both", { validationActions: ["Deny", "Warn"], validations: [{ expression: "true" }] }), /Deny and Warn together/);
});

test("an unknown library name lists the sets and policies there are", () => {
  const [problem] = problems(() => loadLibrary([{ name: "pss-nope" }]));
  assert.match(problem!, /library\[0\]\.name: no library policy or set "pss-nope"; sets: .*pss-baseline/);
});

test("library selections by set, with overrides", () => {
  const baseline = loadLibrary([{ name: "pss-baseline" }]);
  assert.equal(baseline.length, 12);
  const [latest] = loadLibrary([{ name: "disallow-latest-tag", validationActions: ["Warn"] }]);
  assert.deepEqual(latest?.validationActions, ["Warn"]);
  const [registries] = loadLibrary([{ name: "allowed-registries", params: { registries: ["ghcr.io"] } }]);
  assert.deepEqual(registries?.document?.spec.params, { registries: ["ghcr.io"] });
});

// The matchCondition `podgate export vap` adds (export-guard.ts) lets
// kube-apiserver skip a policy's validations only when all of them pass: on
// random pods the guard is true exactly when the policy denies. Variables are
// written out token by token (never inside a string or a field named so);
// policies that fail open, or have one validation, get none; and podgate,
// reading its own export back, evaluates the validations as before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileCel, toCel } from "../../../webhooks/policy/cel.ts";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { decide, evaluateAll } from "../../../webhooks/policy/decide.ts";
import { exportVap } from "../../../webhooks/policy/export.ts";
import { GUARD_CONDITION, inlineVariables, validationGuard, withoutValidationGuard } from "../../../webhooks/policy/export-guard.ts";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { randomPod } from "../../pss/generate.ts";
import { policy, podRequest } from "./requests.ts";

const variables = [
  { name: "containers", expression: "object.spec.containers + object.spec.?initContainers.orValue([])" },
  { name: "names", expression: "variables.containers.map(c, c.name)" },
];

test("variables are written out as their expressions, those they read in turn; strings and fields named so are left alone", () => {
  assert.equal(inlineVariables("size(variables.names) > 0", variables), "size(((object.spec.containers + object.spec.?initContainers.orValue([])).map(c, c.name))) > 0");
  assert.equal(inlineVariables("'variables.names' in object.metadata.?annotations.orValue({})", variables), "'variables.names' in object.metadata.?annotations.orValue({})");
  assert.equal(inlineVariables("object.variables.x == r'variables.names' && object.?variables.orValue(1) == 1", variables), "object.variables.x == r'variables.names' && object.?variables.orValue(1) == 1");
  // Read another way, or a variable not defined before it: no guard rather than a wrong one.
  assert.equal(inlineVariables("variables.unknown == 1", variables), undefined);
  assert.equal(inlineVariables("[1].all(variables, variables > 0)", variables), undefined);
  assert.equal(inlineVariables("variables.containers.size() > 0", [{ name: "containers", expression: "variables.later" }, { name: "later", expression: "[]" }]), undefined);
});

test("a policy that fails open, or has one validation, gets no guard; one that has it keeps it once", () => {
  const validations = [{ expression: "object.spec.containers.all(c, c.name != 'x')", reason: "Forbidden" as const }, { expression: "!object.spec.?hostNetwork.orValue(false)", reason: "Forbidden" as const }];
  type Spec = Parameters<typeof validationGuard>[0];
  const spec = (extra: Partial<Spec>): Spec => ({ validations, failurePolicy: "Fail", ...extra });
  assert.equal(validationGuard(spec({ failurePolicy: "Ignore" })), undefined);
  assert.equal(validationGuard(spec({ validations: validations.slice(0, 1) })), undefined);
  const guard = validationGuard(spec({}));
  assert.deepEqual(guard, { name: GUARD_CONDITION, expression: "!((object.spec.containers.all(c, c.name != 'x')) && (!object.spec.?hostNetwork.orValue(false)))" });
  assert.equal(validationGuard(spec({ matchConditions: [guard] })), undefined);
  // Read back, only the exact guard goes; another condition of that name stays.
  assert.deepEqual(withoutValidationGuard(spec({ matchConditions: [{ name: "a", expression: "true" }, guard] })).matchConditions, [{ name: "a", expression: "true" }]);
  const other = { name: GUARD_CONDITION, expression: "true" };
  assert.deepEqual(withoutValidationGuard(spec({ matchConditions: [other] })).matchConditions, [other]);
});

test("on 600 random pods the exported PSS VAP's guard is true exactly when its validations deny, and podgate reading the export back judges as the library does", () => {
  const library = loadLibrary([{ name: "pss-baseline" }, { name: "pss-restricted" }]);
  const [vap] = exportVap(library).objects as { metadata: { name: string }; spec: { matchConditions: { name: string; expression: string }[] } & Record<string, unknown> }[];
  const guard = vap!.spec.matchConditions.find((c) => c.name === GUARD_CONDITION);
  assert.ok(guard, "the combined PSS policy gets the guard");
  assert.doesNotMatch(guard.expression, /\bvariables\./);
  const guardProgram = compileCel(guard.expression, "bool");
  const exported = compilePolicy(policy(vap!.metadata.name, vap!.spec), "exported");
  let denied = 0;
  for (let i = 0; i < 600; i++) {
    const pod = randomPod(22, i) as Record<string, unknown>;
    const request = podRequest(pod["spec"] as Record<string, unknown>);
    const byLibrary = decide(evaluateAll(library, { request }));
    const byExport = decide(evaluateAll([exported], { request }));
    const fails = guardProgram.run({ object: toCel(request.object), oldObject: null, request: toCel(request), namespaceObject: null });
    assert.equal(fails, !byLibrary.allowed, `pod ${i}: guard ${String(fails)}, library ${byLibrary.allowed ? "allows" : "denies"}: ${JSON.stringify(pod)}`);
    assert.equal(byExport.allowed, byLibrary.allowed, `pod ${i}`);
    if (!byLibrary.allowed) denied++;
  }
  // Both sides of the guard are exercised.
  assert.ok(denied > 100 && denied < 500, `${denied} of 600 denied`);
});

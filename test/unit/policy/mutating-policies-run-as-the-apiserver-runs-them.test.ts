// Mutating policies run as kube-apiserver's MutatingAdmissionPolicy plugin
// runs them (the e2e proves it on the real apiserver; these pin the rules):
// mutations in order on the object as the last one left it, variables read
// lazily once per run, failurePolicy per policy, IfNeeded reinvocation, and
// native objects in and out.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { PolicyError } from "../../../webhooks/policy/declarative.ts";
import { exportMap } from "../../../webhooks/policy/export-map.ts";
import { loadMutatingPolicyFiles } from "../../../webhooks/policy/load.ts";
import { compileMutatingPolicy, mutateAll, type MutatingPolicy } from "../../../webhooks/policy/mutating.ts";
import { evaluateManifests } from "../../../webhooks/policy/offline.ts";
import { renderApply } from "../../../webhooks/policy/results.ts";
import { mutatingPolicyDocument } from "../../../webhooks/policy/schema.ts";
import { runSuite } from "../../../webhooks/policy/suite.ts";
import { podRequest } from "./requests.ts";

const FIXTURES = new URL("../../fixtures/policy/mutating/", import.meta.url).pathname;

function policy(name: string, spec: Record<string, unknown>): MutatingPolicy {
  return compileMutatingPolicy(
    mutatingPolicyDocument.parse({
      apiVersion: "podgate.dev/v1alpha1",
      kind: "MutatingPolicy",
      metadata: { name },
      spec: { matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"] }] }, ...spec },
    }),
    "test",
  );
}
const ac = (expression: string) => ({ patchType: "ApplyConfiguration", applyConfiguration: { expression } });
const jp = (expression: string) => ({ patchType: "JSONPatch", jsonPatch: { expression } });
const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "shop", labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } };
const request = (object: Record<string, unknown> = pod) => podRequest({}, { object, namespace: "shop" });
const run = (policies: MutatingPolicy[], object: Record<string, unknown> = pod) => mutateAll(policies, { request: request(object) });

test("each mutation sees the object the previous one left; a variable is evaluated when first read, once per run", () => {
  const p = policy("steps", {
    variables: [{ name: "labels", expression: "size(object.metadata.labels)" }],
    mutations: [ac(`Object{metadata: Object.metadata{labels: {"step": "1"}}}`), jp(`[JSONPatch{op: "add", path: "/metadata/labels/seen", value: string(variables.labels)}]`), jp(`[JSONPatch{op: "add", path: "/metadata/labels/again", value: string(variables.labels)}]`)],
  });
  const { object } = run([p]);
  assert.deepEqual((object["metadata"] as { labels: unknown }).labels, { app: "web", step: "1", seen: "2", again: "2" });
});

test("a failed mutation is skipped; failurePolicy Fail denies naming the policy, Ignore keeps the other mutations", () => {
  const failing = [ac(`Object{spec: Object.spec{nodeSelector: {"a": "b"}}}`), ac(`Object{metadata: Object.metadata{labels: {"after": "yes"}}}`)];
  const ignored = run([policy("lenient", { failurePolicy: "Ignore", mutations: failing })]);
  assert.equal(ignored.denial, undefined);
  assert.equal((ignored.object["metadata"] as { labels: Record<string, string> }).labels["after"], "yes");
  const denied = run([policy("strict", { mutations: failing })]);
  assert.match(denied.denial ?? "", /^policy "strict" denied request: mutations\[0\]: error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: \.spec\.nodeSelector$/);
});

test("IfNeeded policies run again once when any mutation applied; Never ones do not", () => {
  const counter = (name: string, reinvocationPolicy: string) =>
    policy(name, { reinvocationPolicy, mutations: [jp(`[JSONPatch{op: "add", path: "/metadata/labels/${name}", value: "${name}" in object.metadata.labels ? string(int(object.metadata.labels["${name}"]) + 1) : "1"}]`)] });
  const labels = (r: ReturnType<typeof run>) => (r.object["metadata"] as { labels: Record<string, string> }).labels;
  assert.deepEqual(labels(run([counter("once", "Never"), counter("twice", "IfNeeded")])), { app: "web", once: "1", twice: "2" });
  // Nothing applied (the only policy does not match): no second pass.
  assert.equal(run([policy("other", { matchConditions: [{ name: "never", expression: "false" }], reinvocationPolicy: "IfNeeded", mutations: [ac("Object{}")] })]).outcomes.length, 1);
});

test("a failed JSON Patch test leaves the object as it was, without an error; an unchanged object is the input itself", () => {
  const r = run([policy("guarded", { mutations: [jp(`[JSONPatch{op: "test", path: "/metadata/name", value: "other"}, JSONPatch{op: "add", path: "/metadata/labels/x", value: "y"}]`)] })]);
  assert.equal(r.object, pod);
  assert.equal(r.denial, undefined);
});

test("patch expressions are checked at load: return type, struct literal syntax with positions in the user's source, jsonpatch only in patches", () => {
  const problems = (spec: Record<string, unknown>) => {
    try {
      policy("bad", spec);
      return [];
    } catch (error) {
      assert.ok(error instanceof PolicyError);
      return error.problems;
    }
  };
  assert.match(problems({ mutations: [ac(`[JSONPatch{op: "add"}]`)] })[0]!, /spec\.mutations\[0\]\.applyConfiguration\.expression: expression must evaluate to Object, but it is list<JSONPatch>/);
  assert.match(problems({ mutations: [jp(`Object{}`)] })[0]!, /expression must evaluate to list<JSONPatch>, but it is Object/);
  assert.match(problems({ mutations: [ac(`Object{spec: Object.spec{containers: [1 +]}}`)] })[0]!, /\(at line 1, column 42\)/);
  assert.match(problems({ variables: [{ name: "k", expression: `jsonpatch.escapeKey("a/b")` }], mutations: [ac("Object{}")] })[0]!, /jsonpatch\.escapeKey is available only in a mutation's patch expression/);
});

test("a JSONPatch value that is a list of Object{} fails as a mutation error (it makes kube-apiserver 1.36 answer 500), a single Object{} or a list of maps works", () => {
  const adds = (value: string) => run([policy("volumes", { mutations: [jp(`[JSONPatch{op: "add", path: "/spec/volumes", value: ${value}}]`)] })]);
  assert.match(adds(`[Object.spec.volumes{name: "v", emptyDir: Object.spec.volumes.emptyDir{}}]`).denial ?? "", /list or map holding Object\{\} values makes kube-apiserver 1\.36 fail the request \(HTTP 500\)/);
  assert.deepEqual(adds(`[{"name": "v"}]`).object["spec"], { containers: pod.spec.containers, volumes: [{ name: "v" }] });
  const single = run([policy("one", { mutations: [jp(`[JSONPatch{op: "add", path: "/spec/volumes", value: []}, JSONPatch{op: "add", path: "/spec/volumes/-", value: Object.spec.volumes{name: "v"}}]`)] })]);
  assert.deepEqual((single.object["spec"] as { volumes: unknown }).volumes, [{ name: "v" }]);
});

test("struct literals in strings and comments are left alone; optional fields are set only when present", () => {
  const p = policy("literals", {
    mutations: [ac(`// Object{not: "a literal"}\nObject{metadata: Object.metadata{labels: {"text": "Object{x: 1}", "q": 'JSONPatch{'}, ?annotations: optional.none()}}`)],
  });
  const metadata = run([p]).object["metadata"] as Record<string, unknown>;
  assert.deepEqual(metadata["labels"], { app: "web", text: "Object{x: 1}", q: "JSONPatch{" });
  assert.equal("annotations" in metadata, false);
});

test("native MutatingAdmissionPolicies load with their bindings and params; the binding's namespaceSelector applies", () => {
  const [p] = loadMutatingPolicyFiles([join(FIXTURES, "native-map.yaml")]);
  assert.equal(p?.name, "team-label-shop");
  const inShop = mutateAll([p], { request: request(), namespaceObject: { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { team: "shop" } } } });
  assert.equal((inShop.object["metadata"] as { labels: Record<string, string> }).labels["team"], "shop");
  const elsewhere = mutateAll([p], { request: request(), namespaceObject: { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: {} } } });
  assert.equal(elsewhere.outcomes[0]?.run.result, "skip");
});

test("export map writes a MutatingAdmissionPolicy and Binding per policy that reads no params, and they load back as the same policy", () => {
  const p = policy("labels", { reinvocationPolicy: "IfNeeded", mutations: [ac(`Object{metadata: Object.metadata{labels: {"x": "y"}}}`)] });
  const { objects, skipped } = exportMap([p, ...loadMutatingPolicyFiles([join(FIXTURES, "native-map.yaml")])]);
  assert.deepEqual(skipped.map((s) => s.policy), ["team-label-shop"]);
  assert.deepEqual(objects.map((o) => o["kind"]), ["MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"]);
  assert.deepEqual((objects[0] as { spec: unknown }).spec, { failurePolicy: "Fail", reinvocationPolicy: "IfNeeded", matchConstraints: p.document.spec.matchConstraints, mutations: p.document.spec.mutations });
});

test("podgate test checks mutated/unchanged/error results and the patched object; podgate apply shows the patch", () => {
  const suite = runSuite(join(FIXTURES, "suite", "podgate-test.yaml"));
  assert.equal(suite.error, undefined);
  assert.deepEqual(suite.cases.map((c) => [c.policy, c.resource, c.actual, c.ok]), [
    ["add-sidecar", "with-sidecar", "mutated", true],
    ["add-sidecar", "plain", "skip", true],
    ["pin-node", "plain", "error", true],
    ["pin-node", "with-sidecar", "error", true],
    ["two-containers", "with-sidecar", "pass", true],
  ]);
  const withSidecar = parse(`{ apiVersion: v1, kind: Pod, metadata: { name: w, labels: { sidecar: "yes" } }, spec: { containers: [{ name: app, image: a }] } }`) as Record<string, unknown>;
  const results = evaluateManifests([], [withSidecar], { mutating: loadMutatingPolicyFiles([join(FIXTURES, "suite", "policies.yaml")]) });
  const table = renderApply("table", results);
  assert.match(table, /mutated by add-sidecar, pin-node: 1 operation\n {4}add \/spec\/containers\/1 = \{"name":"proxy","image":"proxy:1.0"\}\n {4}ignored \(failurePolicy Ignore\): pin-node: mutations\[0\]: error applying patch/);
});

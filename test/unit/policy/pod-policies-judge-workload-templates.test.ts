// Served pod policies also judge the pod templates of workloads (auto-gen), with a per-policy switch,
// and agree with what `podgate apply` says of the same manifest.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AdmissionRequest, KubeObject } from "../../../src/admission/review.ts";
import { compilePolicy } from "../../../webhooks/policy/declarative.ts";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { evaluateManifests } from "../../../webhooks/policy/offline.ts";
import { typedPolicy } from "../../../webhooks/policy/typescript-policy.ts";
import { policyDecision, policyWebhookType } from "../../../webhooks/policy/webhook.ts";
import { requestFor } from "../../../webhooks/policy/workload.ts";
import { policy } from "./requests.ts";
import { ModuleLoader } from "../../../src/toolkit/modules.ts";

const podSpec = { containers: [{ name: "app", image: "x:1", securityContext: { privileged: true } }] };
const template = { metadata: { labels: { app: "web" } }, spec: podSpec };

const WORKLOADS: readonly [string, string, KubeObject][] = [
  ["apps/v1", "Deployment", { template }],
  ["apps/v1", "StatefulSet", { template }],
  ["apps/v1", "DaemonSet", { template }],
  ["apps/v1", "ReplicaSet", { template }],
  ["v1", "ReplicationController", { template }],
  ["batch/v1", "Job", { template }],
  ["batch/v1", "CronJob", { jobTemplate: { spec: { template } } }],
];

const workload = (apiVersion: string, kind: string, spec: KubeObject): KubeObject => ({ apiVersion, kind, metadata: { name: "web", namespace: "team" }, spec });
const privileged = () => loadLibrary([{ name: "pss-baseline-privileged" }]);
const MESSAGE = 'privileged: container "app" must not set securityContext.privileged=true';

test("every workload kind with a privileged template is denied, the message naming the template's path", () => {
  for (const [apiVersion, kind, spec] of WORKLOADS) {
    const decision = policyDecision(privileged(), requestFor(workload(apiVersion, kind, spec)));
    const path = kind === "CronJob" ? "spec.jobTemplate.spec.template" : "spec.template";
    assert.equal(decision.allowed, false, kind);
    assert.equal(decision.status?.message, `policy pss-baseline-privileged: ${path}: ${MESSAGE}`, kind);
  }
});

test("a workload is judged on CREATE and UPDATE, not on DELETE, a subresource or a same-named kind of another group", () => {
  const deployment = workload("apps/v1", "Deployment", { template });
  assert.equal(policyDecision(privileged(), requestFor(deployment, "UPDATE")).allowed, false);
  assert.equal(policyDecision(privileged(), requestFor(deployment, "DELETE")).allowed, true);
  assert.equal(policyDecision(privileged(), { ...requestFor(deployment, "UPDATE"), subResource: "scale" }).allowed, true);
  assert.equal(policyDecision(privileged(), requestFor({ ...deployment, apiVersion: "example.com/v1" })).allowed, true);
});

test("autogen off (library override, policy annotation, TypeScript field) judges pods only, served and offline alike", () => {
  const deployment = workload("apps/v1", "Deployment", { template });
  const annotated = compilePolicy(policy("no-privileged", { validations: [{ expression: "!object.spec.containers.exists(c, has(c.securityContext) && c.securityContext.privileged == true)" }] }, { "podgate.dev/autogen": "false" }), "t");
  const typed = typedPolicy({ name: "ts-no-privileged", autogen: false, validate: ({ object }: { object: { spec: typeof podSpec } | null }) => (object?.spec.containers.some((c) => c.securityContext.privileged) ? "privileged" : undefined) }, "m.ts");
  const offSets = [loadLibrary([{ name: "pss-baseline-privileged", autogen: false }]), [annotated], [typed]];
  for (const policies of offSets) {
    const name = policies[0]!.name;
    assert.equal(policyDecision(policies, requestFor(deployment)).allowed, true, name);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "team" }, spec: podSpec };
    assert.equal(policyDecision(policies, requestFor(pod)).allowed, false, name);
    const [self, onTemplate] = evaluateManifests(policies, [deployment]);
    assert.deepEqual([self?.outcomes.map((o) => o.verdict.result), onTemplate?.outcomes.length], [["skip"], 0], name);
  }
});

test("a policy's match conditions and object selector are tested on the template's Pod", () => {
  const onlyWeb = compilePolicy(
    policy("web-only", {
      matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }], objectSelector: { matchLabels: { app: "web" } } },
      matchConditions: [{ name: "is-pod", expression: "object.kind == 'Pod'" }],
      validations: [{ expression: "false", message: "no" }],
    }),
    "t",
  );
  assert.equal(policyDecision([onlyWeb], requestFor(workload("apps/v1", "Deployment", { template }))).status?.message, "policy web-only: spec.template: no");
  const other = { ...template, metadata: { labels: { app: "db" } } };
  assert.equal(policyDecision([onlyWeb], requestFor(workload("apps/v1", "Deployment", { template: other }))).allowed, true);
});

test("a TypeScript module policy judges the template on the policy worker too", async (t) => {
  const lifetime = new AbortController();
  t.after(() => lifetime.abort());
  const handler = policyWebhookType.create(
    { name: "policy", failurePolicy: "Fail", timeoutSeconds: 5, baseDir: "/", watchesNamespaces: false, modules: new ModuleLoader(), signal: lifetime.signal },
    { library: [], files: [], modules: [new URL("../../fixtures/policy/typed-policy.ts", import.meta.url).pathname] },
  );
  const three = { ...template, spec: { containers: ["a", "b", "c"].map((name) => ({ name, image: "x:1" })) } };
  const request: AdmissionRequest = requestFor(workload("apps/v1", "Deployment", { template: three }));
  const decision = await handler.handle(request, { signal: new AbortController().signal, dryRun: false });
  assert.equal(decision.allowed, false);
  assert.equal(decision.status?.message, "policy max-containers: spec.template: 3 containers, at most 2 allowed");
});

test("the autogen annotation takes only \"true\" or \"false\", and the error names it", () => {
  assert.throws(() => policy("p", { validations: [{ expression: "true" }] }, { "podgate.dev/autogen": "no" }), /podgate\.dev\/autogen/);
});

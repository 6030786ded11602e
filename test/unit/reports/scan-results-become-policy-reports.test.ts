// The background scan's evaluations become wgpolicyk8s.io/v1alpha2 reports:
// one per namespace with a result per object and policy that judged it (a
// workload's template as its own rule), a summary, unchanged results keeping
// their first timestamp, and only what changed written again.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { evaluateManifests } from "../../../webhooks/policy/offline.ts";
import { loadPolicyFiles } from "../../../webhooks/policy/load.ts";
import { policiesFor, policySettings } from "../../../webhooks/policy/webhook.ts";
import { MAX_RESULTS, policyReports, reportChanges, writtenResults, type StoredReport } from "../../../webhooks/policy/reports/policy-reports.ts";
import { judgeInSlices, listPaths, reportsInSlices } from "../../../webhooks/policy/reports/scanner.ts";

const objects = parseAllDocuments(`
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: shop, uid: u1}
spec: {containers: [{name: app, image: "nginx:1.27"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: shop, uid: u2}
spec: {containers: [{name: app, image: "nginx:1.27", securityContext: {privileged: true}}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: blog, uid: u3}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: "nginx:latest"}]}
`).map((d) => d.toJS());

const policies = policiesFor(policySettings.parse({ library: ["pss-baseline-privileged", { name: "disallow-latest-tag", validationActions: ["Audit"] }] }));
const T0 = new Date("2026-12-04T10:00:00Z");

test("one report per namespace, a result per object and policy, the workload's template as its own rule", () => {
  const reports = policyReports(evaluateManifests(policies, objects), T0);
  assert.deepEqual(reports.map((r) => [r.kind, r.metadata.namespace, r.metadata.name, r.metadata.labels]), [
    ["PolicyReport", "blog", "podgate", { "app.kubernetes.io/managed-by": "podgate" }],
    ["PolicyReport", "shop", "podgate", { "app.kubernetes.io/managed-by": "podgate" }],
  ]);
  const [blog, shop] = reports;
  assert.deepEqual(shop!.results.map((r) => [r.resources[0]!.name, r.policy, r.rule, r.result]).sort(), [
    ["ok", "disallow-latest-tag", "object", "pass"],
    ["ok", "pss-baseline-privileged", "object", "pass"],
    ["root", "disallow-latest-tag", "object", "pass"],
    ["root", "pss-baseline-privileged", "object", "fail"],
  ]);
  assert.deepEqual(shop!.summary, { pass: 3, fail: 1, warn: 0, error: 0, skip: 0 });
  const latest = blog!.results.find((r) => r.policy === "disallow-latest-tag")!;
  assert.deepEqual([latest.rule, latest.result, latest.resources, latest.properties], ["spec.template", "fail", [{ apiVersion: "apps/v1", kind: "Deployment", name: "web", namespace: "blog", uid: "u3" }], { validationActions: "Audit" }]);
  assert.match(latest.message ?? "", /latest/);
  assert.deepEqual(latest.timestamp, { seconds: T0.getTime() / 1000, nanos: 0 });
});

test("a later scan keeps unchanged results' timestamps, writes only what changed, and deletes what nothing asks for", () => {
  const first = policyReports(evaluateManifests(policies, objects), T0);
  const stored: StoredReport[] = first.map((r, i) => ({ ...r, metadata: { ...r.metadata, resourceVersion: String(i + 1) } }));
  const later = new Date(T0.getTime() + 60_000);
  // The same objects: nothing to write.
  const same = policyReports(evaluateManifests(policies, objects), later, writtenResults(stored));
  assert.deepEqual(reportChanges(stored, same), { create: [], replace: [], remove: [] });
  // "root" fixed, the Deployment gone, a new namespace.
  const fixed = structuredClone(objects.slice(0, 2));
  delete fixed[1].spec.containers[0].securityContext;
  const moved = { ...structuredClone(objects[0]), metadata: { name: "ok", namespace: "new", uid: "u4" } };
  const next = policyReports(evaluateManifests(policies, [...fixed, moved]), later, writtenResults(stored));
  const changes = reportChanges(stored, next);
  assert.deepEqual(changes.create.map((r) => r.metadata.namespace), ["new"]);
  assert.deepEqual(changes.replace.map((r) => [r.metadata.namespace, r.metadata.resourceVersion]), [["shop", "2"]]);
  assert.deepEqual(changes.remove.map((r) => r.metadata.namespace), ["blog"]);
  const shop = changes.replace[0]!;
  assert.equal(shop.results.find((r) => r.resources[0]!.name === "ok" && r.policy === "pss-baseline-privileged")!.timestamp.seconds, T0.getTime() / 1000, "unchanged: first seen");
  assert.equal(shop.results.find((r) => r.resources[0]!.name === "root" && r.policy === "pss-baseline-privileged")!.timestamp.seconds, later.getTime() / 1000, "changed: now");
});

test("the scan lists what the policies match: every group, version and resource, no wildcards or subresources", () => {
  assert.deepEqual(listPaths(policies), ["/api/v1/pods", "/api/v1/replicationcontrollers", "/apis/apps/v1/daemonsets", "/apis/apps/v1/deployments", "/apis/apps/v1/replicasets", "/apis/apps/v1/statefulsets", "/apis/batch/v1/cronjobs", "/apis/batch/v1/jobs"]);
});

test("judged a slice at a time (the server keeps serving meanwhile), the results are those of one pass, namespace labels included", async () => {
  const labelled = [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { tier: "gold" } } }, ...objects];
  const dir = mkdtempSync(join(tmpdir(), "podgate-reports-"));
  writeFileSync(
    join(dir, "gold.yaml"),
    `apiVersion: podgate.dev/v1alpha1
kind: Policy
metadata: {name: gold-only}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
    namespaceSelector: {matchLabels: {tier: gold}}
  validations: [{expression: "true"}]
`,
  );
  const selective = loadPolicyFiles([join(dir, "gold.yaml")]);
  rmSync(dir, { recursive: true });
  const once = policyReports(evaluateManifests(selective, labelled), T0);
  const sliced = await reportsInSlices(await judgeInSlices(selective, labelled, 1), T0, new Map());
  assert.deepEqual(sliced, once);
  const all = await reportsInSlices(await judgeInSlices(policies, objects, 1), T0, new Map());
  assert.deepEqual(all.sort((a, b) => (a.metadata.namespace! < b.metadata.namespace! ? -1 : 1)), policyReports(evaluateManifests(policies, objects), T0));
  assert.deepEqual(once.map((r) => r.metadata.namespace), ["shop"], "the selector saw the Namespace's labels");
});

test("a namespace with more results than one report holds gets several, each with its own summary", () => {
  const many = Array.from({ length: 60 }, (_, i) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: `p${String(i).padStart(3, "0")}`, namespace: "big", uid: `u${i}` }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } }));
  const many20 = policiesFor(policySettings.parse({ library: ["pss-baseline", "pss-restricted"] }));
  const reports = policyReports(evaluateManifests(many20, many), T0);
  const total = reports.reduce((n, r) => n + r.results.length, 0);
  assert.ok(total > MAX_RESULTS, `${total} results`);
  assert.deepEqual(reports.map((r) => r.metadata.name), Array.from({ length: Math.ceil(total / MAX_RESULTS) }, (_, i) => (i === 0 ? "podgate" : `podgate-${i + 1}`)));
  for (const r of reports) assert.equal(Object.values(r.summary).reduce((a, b) => a + b, 0), r.results.length);
});

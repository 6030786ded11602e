// Policy reports from the background scan, on the real apiserver: pods that
// existed before their policy get results in their namespace's PolicyReport
// (wgpolicyk8s.io/v1alpha2, the CRDs from manifests/crds); a policy added to
// the files while podgate runs is reloaded and its results appear without
// anything being created; the results go when the pods go, and the report
// with the last of them.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { createPodgate } from "../../src/index.ts";
import type { RunningServer } from "../../src/server/serve.ts";
import { core, env, kubeConfig, kubectl, namespace, poll, podYaml } from "./support/cluster.ts";
import { REPO } from "../support/build.ts";

const custom = kubeConfig.makeApiClient(CustomObjectsApi);
type Report = { summary: Record<string, number>; results: { policy: string; result: string; message?: string; resources: { name: string }[] }[] };

const policy = (name: string, ns: string, label: string) => `apiVersion: podgate.dev/v1alpha1
kind: Policy
metadata: {name: ${name}}
spec:
  validationActions: [Audit]
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]
    namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${ns}}}
  validations:
    - expression: "has(object.metadata.labels) && '${label}' in object.metadata.labels"
      message: "pods here need a ${label} label"
`;

let dir: string;
let ns: string;
let podgate: RunningServer;

const report = async (): Promise<Report | undefined> => {
  try {
    return (await custom.getNamespacedCustomObject({ group: "wgpolicyk8s.io", version: "v1alpha2", plural: "policyreports", namespace: ns, name: "podgate" })) as Report;
  } catch {
    return undefined;
  }
};
const outcome = (r: Report | undefined, policyName: string) =>
  (r?.results ?? [])
    .filter((x) => x.policy === policyName)
    .map((x) => `${x.resources[0]?.name}=${x.result}`)
    .sort();

before(async () => {
  const crds = await kubectl(["apply", "-f", join(REPO, "manifests/crds/policy-reports.yaml")]);
  assert.equal(crds.code, 0, crds.stderr);
  assert.equal((await kubectl(["wait", "--for=condition=Established", "crd/policyreports.wgpolicyk8s.io", "crd/clusterpolicyreports.wgpolicyk8s.io", "--timeout=60s"])).code, 0);
  ns = await namespace("e2e-reports", { inject: false });
  // The pods exist before any policy judges them.
  for (const [name, labels] of [["with-team", { team: "a" }], ["no-team-1", {}], ["no-team-2", {}]] as const) {
    const created = await kubectl(["apply", "-f", "-"], podYaml(name, ns, { labels }));
    assert.equal(created.code, 0, created.stderr);
  }
  dir = await mkdtemp(join(tmpdir(), "podgate-reports-"));
  await mkdir(join(dir, "policies"));
  await writeFile(join(dir, "policies", "team.yaml"), policy("require-team", ns, "team"));
  await writeFile(
    join(dir, "podgate.yaml"),
    `server: {port: 0, tlsDir: ${join(dir, "tls")}, logLevel: warn, metrics: {enabled: false}, reload: {intervalSeconds: 0.5}}
admission:
  validating:
    - {name: policy, type: policy, settings: {files: [policies]}}
extender: {enabled: false}
reports: {enabled: true, intervalSeconds: 5, qps: 50, namespace: default, kubeconfig: ${env.kubeconfig}}
`,
  );
  podgate = await createPodgate().serve({ config: join(dir, "podgate.yaml") });
});

after(async () => {
  await podgate?.close();
  await rm(dir, { recursive: true, force: true });
});

test("pods that existed before their policy get its results in their namespace's PolicyReport", async () => {
  const r = await poll("the namespace's PolicyReport", 60_000, async () => {
    const current = await report();
    return outcome(current, "require-team").length === 3 ? current : undefined;
  }, 500);
  assert.deepEqual(outcome(r, "require-team"), ["no-team-1=fail", "no-team-2=fail", "with-team=pass"]);
  assert.deepEqual({ pass: r.summary["pass"], fail: r.summary["fail"] }, { pass: 1, fail: 2 });
  assert.equal(r.results.find((x) => x.result === "fail")?.message, "pods here need a team label");
  const listed = await kubectl(["get", "policyreports", "-n", ns]);
  process.stdout.write(`kubectl get policyreports -n ${ns}:\n${listed.stdout}`);
});

test("a policy added to the files while podgate runs shows its results without anything being created", async () => {
  await writeFile(join(dir, "policies", "owner.yaml"), policy("require-owner", ns, "owner"));
  const r = await poll("the new policy's results", 30_000, async () => {
    const current = await report();
    return outcome(current, "require-owner").length === 3 ? current : undefined;
  }, 500);
  assert.deepEqual(outcome(r, "require-owner"), ["no-team-1=fail", "no-team-2=fail", "with-team=fail"]);
});

test("the results go when the pods go, and the report with the last of them", async () => {
  await core.deleteNamespacedPod({ name: "no-team-1", namespace: ns, gracePeriodSeconds: 0 });
  await core.deleteNamespacedPod({ name: "no-team-2", namespace: ns, gracePeriodSeconds: 0 });
  await poll("the deleted pods' results gone", 30_000, async () => (outcome(await report(), "require-team").join() === "with-team=pass" ? true : undefined), 500);
  await core.deleteNamespacedPod({ name: "with-team", namespace: ns, gracePeriodSeconds: 0 });
  await poll("the report gone", 30_000, async () => ((await report()) === undefined ? true : undefined), 500);
});

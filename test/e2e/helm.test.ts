// podgate installed with its Helm chart (charts/podgate, helm built from the
// Go module proxy by controlplane/build.sh) on the real control plane
// and the real node, from podgate's own image: the certificates Job, two
// replicas Ready, a user's policy given in the values, and the apiserver
// calling the release — a pod injected and run, a pod denied by the user's
// policy, a privileged pod denied by the library. Then helm uninstall removes
// it all. Needs the harness's real node with podgate's image.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { AppsV1Api } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { binDir } from "../../src/harness/controlplane.ts";
import { demoPod } from "../harness/demo-pod.ts";
import { PODGATE_IMAGE } from "../harness/realnode.ts";
import { core, env, isReady, kubeConfig, kubectl, namespace } from "./support/cluster.ts";
import { injectedDemoPod } from "./support/injected-pod.ts";
import { REPO } from "../support/build.ts";

const real = env.realNode;
if (!real?.podgateImage) throw new Error("no real node with podgate's image: run with PODGATE_REAL_NODE=1 npm run e2e (images.sh --podgate builds it)");
const NS = "podgate-helm";
const RELEASE = "podgate";
const apps = kubeConfig.makeApiClient(AppsV1Api);

const TEAM_POLICY = `apiVersion: podgate.dev/v1alpha1
kind: Policy
metadata: {name: no-team-x}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  validations:
    - expression: "object.metadata.?labels.team.orValue('') != 'x'"
      message: team x may not run pods here
`;

function helm(args: readonly string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(`${binDir()}/helm`, [...args, "--kubeconfig", env.kubeconfig], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** The values a platform team would set for this cluster: its image, its nodes, its own policy; and where pods reach this harness's apiserver. */
function values(): string {
  const [host, port] = real!.apiserver.split(":");
  return stringify({
    image: { repository: PODGATE_IMAGE.split(":")[0], tag: PODGATE_IMAGE.split(":")[1], pullPolicy: "Never" },
    nodeSelector: { [real!.label.key]: real!.label.value },
    tolerations: [{ key: real!.taint.key, operator: "Equal", value: real!.taint.value, effect: real!.taint.effect }],
    hostAliases: [{ ip: host, hostnames: ["kubernetes.default.svc"] }],
    env: [
      { name: "KUBERNETES_SERVICE_HOST", value: "kubernetes.default.svc" },
      { name: "KUBERNETES_SERVICE_PORT", value: port },
    ],
    policies: { inline: { "no-team-x.yaml": TEAM_POLICY } },
  });
}

before(async () => {
  // Made here, labelled as the chart's namespace.create would, so helm uninstall leaves it to after().
  const created = await kubectl(["create", "namespace", NS]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await kubectl(["label", "namespace", NS, "pod-security.kubernetes.io/enforce=restricted"])).code, 0);
  const started = performance.now();
  const installed = await helm(["install", RELEASE, `${REPO}/charts/podgate`, "--namespace", NS, "--values", "-", "--wait", "--wait-for-jobs", "--timeout", "4m"], values());
  assert.equal(installed.code, 0, `helm install: ${installed.stderr}`);
  process.stdout.write(`helm install --wait: ${Math.round((performance.now() - started) / 1000)} s\n${installed.stdout.split("\n").slice(0, 12).join("\n")}\n`);
});

after(async () => {
  // Its webhooks fail closed: they go with it, before the rest of the suite runs.
  const removed = await helm(["uninstall", RELEASE, "--namespace", NS, "--wait", "--timeout", "2m"]);
  if (removed.code !== 0) process.stderr.write(`helm uninstall: ${removed.stderr}\n`);
  await kubectl(["delete", "namespace", NS, "--wait=true", "--timeout=120s", "--ignore-not-found"]);
});

test("helm install: the certificates Job completed and two replicas are Ready on the real node", async () => {
  const deployment = await apps.readNamespacedDeployment({ name: RELEASE, namespace: NS });
  assert.equal(deployment.status?.readyReplicas, 2);
  const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: "app.kubernetes.io/component=server" })).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.equal(p.spec?.nodeName, real.name);
    assert.ok(isReady(p));
  }
  const releases = await helm(["list", "--namespace", NS, "--output", "json"]);
  assert.equal((JSON.parse(releases.stdout) as { name: string; status: string }[]).find((r) => r.name === RELEASE)?.status, "deployed");
});

test("the release injects its sidecar into a pod created with kubectl, and the pod runs", async () => {
  await injectedDemoPod("e2e-helm", real);
});

test("the user's policy from the values denies a pod with its message; the library denies a privileged one", async () => {
  const ns = await namespace("e2e-helm-deny", { inject: false });
  const team = demoPod("team-x", ns, real);
  team.metadata!.labels = { team: "x" };
  const denied = await kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(team));
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /no-team-x.*team x may not run pods here/);
  const privileged = demoPod("privileged", ns, real);
  privileged.spec!.containers[0]!.securityContext = { privileged: true };
  const refused = await kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(privileged));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /privileged/);
  process.stdout.write(`kubectl: ${denied.stderr.trim()}\n`);
});

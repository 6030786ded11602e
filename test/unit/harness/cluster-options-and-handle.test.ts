// podgate/harness's edges that need nothing running: startCluster refuses bad
// options before it starts anything, naming the option; connectCluster names
// what is missing or wrong in the handle `podgate e2e` writes; kind's cluster
// config wires the scheduler.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { connectCluster, startCluster } from "../../../src/harness.ts";
import { kindClusterConfig, SCHEDULER_DIR_IN_NODE } from "../../../src/harness/kind.ts";

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "podgate-handle-")), "cluster.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
};

test("startCluster refuses bad options with their path, before starting anything", async () => {
  await assert.rejects(startCluster({ nodes: [] }), /startCluster: nodes: Too small: expected array to have >=1 items/);
  await assert.rejects(startCluster({ nodes: [{ name: "Big_Node", zone: "a", cpu: "1", memory: "1Gi" }] }), /nodes\.0\.name: a DNS subdomain/);
  // @ts-expect-error an unknown option is a type error, and refused at run time too
  await assert.rejects(startCluster({ confg: "podgate.yaml" }), /Unrecognized key: "confg"/);
  await assert.rejects(startCluster({ config: "/nonexistent/podgate.yaml" }), /no podgate config at \/nonexistent\/podgate\.yaml/);
  // @ts-expect-error a cluster is local or kind
  await assert.rejects(startCluster({ on: "k3d" }), /on: Invalid option: expected one of "local"\|"kind"/);
  await assert.rejects(startCluster({ on: "kind", nodes: [{ name: "n", zone: "a", cpu: "1", memory: "1Gi" }] }), /nodes: nodes are kwok's \(on: local\); kind has workers/);
  await assert.rejects(startCluster({ workers: 2 }), /workers: workers are kind's \(on: kind\)/);
  await assert.rejects(startCluster({ on: "kind", workers: 9 }), /workers: Too big: expected number to be <=5/);
});

test("kind's cluster config: the control plane's kube-scheduler reads the mounted scheduler.yaml; the workers asked for; offline, the control plane's images from podgate.local", () => {
  const config = kindClusterConfig({ workers: 2, offline: false, schedulerDir: "/work/scheduler" }) as { nodes: { role: string; extraMounts?: unknown[]; kubeadmConfigPatches?: string[] }[] };
  assert.deepEqual(config.nodes.map((n) => n.role), ["control-plane", "worker", "worker"]);
  assert.deepEqual(config.nodes[0]!.extraMounts, [{ hostPath: "/work/scheduler", containerPath: SCHEDULER_DIR_IN_NODE, readOnly: true }]);
  const patch = parse(config.nodes[0]!.kubeadmConfigPatches![0]!) as { scheduler: { extraArgs: Record<string, string>; extraVolumes: { hostPath: string }[] } };
  assert.equal(patch.scheduler.extraArgs["config"], `${SCHEDULER_DIR_IN_NODE}/scheduler.yaml`);
  assert.equal(patch.scheduler.extraVolumes[0]!.hostPath, SCHEDULER_DIR_IN_NODE);
  assert.ok(!("kubeadmConfigPatches" in config), "online: kind's own images and CNI");
  // Without an extender: the plain scheduler, nothing mounted.
  assert.deepEqual(kindClusterConfig({ workers: 1, offline: false }), { kind: "Cluster", apiVersion: "kind.x-k8s.io/v1alpha4", nodes: [{ role: "control-plane" }, { role: "worker" }] });
  const offline = kindClusterConfig({ workers: 1, offline: true }) as { networking: { disableDefaultCNI: boolean }; kubeadmConfigPatches: string[] };
  assert.equal(offline.networking.disableDefaultCNI, true);
  assert.ok(offline.kubeadmConfigPatches.some((p) => /imageRepository: podgate\.local/.test(p)));
});

test("connectCluster says how to get a cluster, and names a bad handle's field", () => {
  assert.throws(() => connectCluster(""), /PODGATE_E2E_CLUSTER is not set; run the tests with `podgate e2e`/);
  assert.throws(() => connectCluster(file({ kubeconfig: "/k", image: "pause", podgate: { url: "nope", logFile: "/l", metricsUrl: "http://m" } })), /podgate\.url: /);
});

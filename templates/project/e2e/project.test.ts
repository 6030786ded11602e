// This project's webhook, policy and plugin in a real cluster: `npm run e2e`
// (podgate e2e) starts kube-apiserver, kube-scheduler and kwok nodes (kind's
// with --kind) with this project's podgate in them, then runs these tests.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { connectCluster } from "podgate/harness";

const cluster = connectCluster();
after(() => cluster.stop());
const pod = (name: string, spec: { team?: string; hostNetwork?: boolean } = {}) => ({
  metadata: { name, ...(spec.team ? { labels: { team: spec.team } } : {}) },
  spec: { hostNetwork: spec.hostNetwork === true, containers: [{ name: "app", image: cluster.image }] },
});

test("team-label gives a pod without a team the configured one", async () => {
  const running = await cluster.createPod(await cluster.namespace(), pod("app"), { until: "running" });
  assert.equal(running.metadata?.labels?.["team"], "platform");
});

test("no-host-network denies a pod on the host's network", async () => {
  assert.match(await cluster.expectDenied(await cluster.namespace(), pod("host", { hostNetwork: true })), /hostNetwork is not allowed/);
});

test("team-nodes keeps a team's pods off the nodes of another team", async () => {
  await cluster.labelNodes({ "example.com/team": "data" });
  const namespace = await cluster.namespace();
  await cluster.createPod(namespace, pod("payments", { team: "payments" }), { until: "unschedulable" });
  assert.match(await cluster.schedulingFailure(namespace, "payments"), /node is reserved for team data/);
});

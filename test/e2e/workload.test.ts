// Flow step 5: a Deployment's ReplicaSet creates pods with generateName; all
// are injected, scheduled through podgate and Running, and the Service's
// EndpointSlice lists them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { APP_IMAGE, SIDECAR, containerNames, core, discovery, env, isReady, kubectl, namespace, poll, startRecorder } from "./support/cluster.ts";
import type { PodRecorder } from "../../src/harness/recorder.ts";
import { createToRunning, extenderCallsOf, readPodgateLog } from "../../src/harness/timeline.ts";

const REPLICAS = 3;
let ns: string;
let recorder: PodRecorder;
before(async () => {
  ns = await namespace("e2e-workload");
  recorder = await startRecorder(ns);
});
after(() => recorder.stop());

const manifests = (namespace: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "shop", namespace },
        spec: {
          replicas: REPLICAS,
          selector: { matchLabels: { app: "shop" } },
          template: {
            metadata: { labels: { app: "shop" } },
            spec: { terminationGracePeriodSeconds: 0, containers: [{ name: "app", image: APP_IMAGE, ports: [{ containerPort: 8080 }] }] },
          },
        },
      },
      { apiVersion: "v1", kind: "Service", metadata: { name: "shop", namespace }, spec: { selector: { app: "shop" }, ports: [{ port: 80, targetPort: 8080 }] } },
    ],
  });

test(`a Deployment of ${REPLICAS}: every pod injected, scheduled through podgate, Running, and listed in the Service's EndpointSlice`, async () => {
  const created = Date.now();
  const applied = await kubectl(["apply", "-f", "-"], manifests(ns));
  assert.equal(applied.code, 0, applied.stderr);
  const pods = await poll(`${REPLICAS} shop pods Running and Ready`, 90_000, async () => {
    const list = await core.listNamespacedPod({ namespace: ns, labelSelector: "app=shop" });
    const running = list.items.filter((p) => p.status?.phase === "Running" && isReady(p) && p.status.podIP);
    return running.length === REPLICAS ? running : undefined;
  });
  for (const pod of pods) {
    const name = pod.metadata!.name!;
    assert.ok(pod.metadata?.generateName?.startsWith("shop-"), `${name} was created by the ReplicaSet with generateName`);
    assert.deepEqual(containerNames(pod), ["app", SIDECAR], `${name} was injected`);
    assert.equal(pod.spec?.containers[0]?.resources?.requests?.["cpu"], "100m", `${name} got the defaults`);
    recorder.created(name, created);
  }
  if (env.podgate) {
    const log = await readPodgateLog(env.podgate.logFile);
    for (const pod of pods) {
      const name = pod.metadata!.name!;
      assert.ok(extenderCallsOf(log, ns, name, "filter").length >= 1, `podgate filtered nodes for ${name}`);
      assert.ok(extenderCallsOf(log, ns, name, "prioritize").length >= 1, `podgate scored nodes for ${name}`);
      if (env.bindThroughExtender) assert.equal(extenderCallsOf(log, ns, name, "bind").length, 1, `podgate bound ${name}`);
    }
  }
  const ips = new Set(pods.map((p) => p.status!.podIP!));
  await poll("the EndpointSlice to list every pod", 60_000, async () => {
    const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: "kubernetes.io/service-name=shop" });
    const listed = new Set(slices.items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses)));
    return ips.size === listed.size && [...ips].every((ip) => listed.has(ip));
  });
  const rows = await recorder.print(`workload: Deployment shop (${REPLICAS} replicas; created = kubectl apply of the Deployment)`, pods.map((p) => p.metadata!.name!));
  const latencies = rows.map((r) => createToRunning(r.stages)).filter((l) => l !== undefined);
  assert.equal(latencies.length, REPLICAS);
  process.stdout.write(`Deployment apply→pod Running: ${latencies.map((l) => `${l} ms`).join(", ")}\n`);
});

// Flow steps 3 and 4: kube-scheduler calls podgate's filter and prioritize,
// binds through it, and the (kwok) kubelet runs the pod; plus bind
// idempotence against the real apiserver.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { post } from "../../src/harness/https.ts";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";
import type { V1Node } from "@kubernetes/client-node";
import { core, env, isReady, kubectl, namespace, podYaml, poll, readPod, waitForPod, startRecorder } from "./support/cluster.ts";
import type { PodRecorder } from "../../src/harness/recorder.ts";
import { createToRunning, extenderCallsOf, readPodgateLog } from "../../src/harness/timeline.ts";

const PREFERRED = "e2e.podgate.dev/preferred";

let ns: string;
let recorder: PodRecorder;
let preferred: string;

const schedulable = (n: V1Node) =>
  !n.spec?.unschedulable &&
  !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute") &&
  n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

const cpuMillis = (q: string) => (q.endsWith("m") ? Number(q.slice(0, -1)) : Number(q) * 1000);

before(async () => {
  ns = await namespace("e2e-sched");
  recorder = await startRecorder(ns);
  // The node the default scheduler likes least (smallest cpu) is the one podgate is told to prefer:
  // landing there is podgate's doing, not the built-in scores'.
  const nodes = (await core.listNode()).items.filter(schedulable);
  assert.ok(nodes.length >= 2, "needs two schedulable nodes");
  nodes.sort((a, b) => cpuMillis(a.status!.allocatable!["cpu"]!) - cpuMillis(b.status!.allocatable!["cpu"]!));
  preferred = nodes[0]!.metadata!.name!;
  assert.equal((await kubectl(["label", "node", preferred, `${PREFERRED}=true`, "--overwrite"])).code, 0);
});
after(async () => {
  recorder.stop();
  await kubectl(["label", "node", preferred, `${PREFERRED}-`]);
});

test("the scheduler filters and scores through podgate and binds the pod to the node podgate prefers", async () => {
  // podgate's node cache learns the label from its watch (milliseconds); leave it a second.
  await sleep(1000);
  recorder.created("placed", Date.now());
  const applied = await kubectl(["apply", "-f", "-"], podYaml("placed", ns, { cpu: "200m" }));
  assert.equal(applied.code, 0, applied.stderr);
  const pod = await waitForPod("placed", ns, "bound", (p) => Boolean(p.spec?.nodeName));
  assert.equal(pod.spec?.nodeName, preferred);
  if (env.podgate) {
    const log = await readPodgateLog(env.podgate.logFile);
    assert.ok(extenderCallsOf(log, ns, "placed", "filter").length >= 1, "podgate's filter was called for the pod");
    assert.ok(extenderCallsOf(log, ns, "placed", "prioritize").length >= 1, "podgate's prioritize was called for the pod");
    if (env.bindThroughExtender) assert.equal(extenderCallsOf(log, ns, "placed", "bind").length, 1, "podgate bound the pod");
  }
  const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: "involvedObject.name=placed,reason=Scheduled" });
  assert.match(events.items[0]?.message ?? "", new RegExp(`assigned ${ns}/placed to ${preferred}`));
});

test("the node runs the pod (kwok locally, a real kubelet on kind): phase Running, a pod IP, Ready", async () => {
  const pod = await waitForPod("placed", ns, "Running and Ready", (p) => p.status?.phase === "Running" && isReady(p));
  assert.match(pod.status?.podIP ?? "", /^\d+\.\d+\.\d+\.\d+$/);
  const [row] = await recorder.print("scheduling: pod placed", ["placed"]);
  const latency = createToRunning(row!.stages);
  assert.ok(latency !== undefined && latency > 0, "create→Running measured");
  process.stdout.write(`create→Running: ${latency} ms\n`);
});

test("a pod no node fits stays Pending with podgate's per-node reasons in its FailedScheduling event", async () => {
  const strict = await namespace("e2e-strict");
  const applied = await kubectl(["apply", "-f", "-"], podYaml("nowhere", strict));
  assert.equal(applied.code, 0, applied.stderr);
  const event = await poll("a FailedScheduling event", 30_000, async () => {
    const events = await core.listNamespacedEvent({ namespace: strict, fieldSelector: "involvedObject.name=nowhere,reason=FailedScheduling" });
    return events.items[0];
  });
  const schedulable = (await core.listNode()).items.filter((n) => !(n.spec?.taints ?? []).some((t) => t.effect === "NoSchedule")).length;
  assert.match(event.message ?? "", new RegExp(`${schedulable} node lacks label e2e\\.podgate\\.dev/pool=reserved required for namespace ${strict} \\(podgate rule\\)`));
  const pod = await readPod("nowhere", strict);
  assert.equal(pod.status?.phase, "Pending");
  assert.equal(pod.spec?.nodeName, undefined);
  const describe = await kubectl(["describe", "pod", "nowhere", "-n", strict]);
  assert.match(describe.stdout, /FailedScheduling .*podgate rule/);
});

async function postJson(url: string, body: unknown, ca: string): Promise<unknown> {
  const reply = await post(url, ca, body);
  if (reply.status !== 200) throw new Error(`${url}: HTTP ${reply.status}: ${reply.text}`);
  return JSON.parse(reply.text);
}

test("podgate's bind is idempotent against the real apiserver", { skip: env.podgate && env.bindThroughExtender ? false : "needs a local podgate with bind enabled" }, async () => {
  const podgate = env.podgate!;
  // a scheduler name nobody serves: only the test binds this pod
  const applied = await kubectl(["apply", "-f", "-"], podYaml("manual", ns, { schedulerName: "nobody" }));
  assert.equal(applied.code, 0, applied.stderr);
  const pod = await readPod("manual", ns);
  const nodes = (await core.listNode()).items.filter(schedulable).map((n) => n.metadata!.name!);
  const [target, other] = nodes.filter((n) => n !== preferred);
  const ca = await readFile(podgate.caFile, "utf8");
  const bind = (node: string, uid = pod.metadata!.uid!) => postJson(`${podgate.url}/extender/bind`, { PodName: "manual", PodNamespace: ns, PodUID: uid, Node: node }, ca);
  assert.deepEqual(await bind(target!), { Error: "" });
  assert.deepEqual(await bind(target!), { Error: "" }, "binding again to the same node succeeds (409 read back)");
  assert.equal((await readPod("manual", ns)).spec?.nodeName, target);
  const elsewhere = (await bind(other!)) as { Error: string };
  assert.match(elsewhere.Error, new RegExp(`already bound to ${target}|${target}`));
  const stale = (await bind(target!, "00000000-0000-0000-0000-000000000000")) as { Error: string };
  assert.notEqual(stale.Error, "", "a bind for another incarnation of the pod is refused");
});

// The seeds' last mile for real (flow steps 6-8): a pod created with kubectl,
// mutated and validated by podgate, scheduled and bound through podgate's
// extender onto the real node (kubelet v1.36.3 + containerd + runc), where
// its sandbox starts, its init container exits 0, podgate's native sidecar
// starts before the app, and the app's readiness probe makes it Ready.
// Needs the harness's real node (PODGATE_REAL_NODE; `npm run e2e` leaves
// this file out without it).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { core, env, isReady, kubectl, namespace, poll, readPod, startRecorder, SIDECAR } from "./support/cluster.ts";
import type { PodRecorder } from "../../src/harness/recorder.ts";
import { demoPod } from "../harness/demo-pod.ts";
import { extenderCallsOf, readPodgateLog, reviewsOf } from "../../src/harness/timeline.ts";

const real = env.realNode;
if (!real) throw new Error("no real node in this environment: run with PODGATE_REAL_NODE=1 npm run e2e (needs root, containerd, runc)");

const POD = "demo";
let ns: string;
let recorder: PodRecorder;
let created: number;
let pod: V1Pod;

/** kubectl logs --timestamps: each line's CRI timestamp (ns precision, from containerd) and text. */
async function logs(container: string): Promise<{ at: number; text: string }[]> {
  const r = await kubectl(["logs", "-n", ns, POD, "-c", container, "--timestamps"]);
  assert.equal(r.code, 0, `kubectl logs -c ${container}: ${r.stderr}`);
  return r.stdout.split("\n").filter(Boolean).map((line) => {
    const [stamp, ...rest] = line.split(" ");
    return { at: Date.parse(stamp!), text: rest.join(" ") };
  });
}

before(async () => {
  ns = await namespace("e2e-realnode");
  recorder = await startRecorder(ns);
  created = Date.now();
  const applied = await kubectl(["apply", "-f", "-"], JSON.stringify(demoPod(POD, ns, real)));
  assert.equal(applied.code, 0, applied.stderr);
  recorder.created(POD, created);
  pod = await poll(`pod ${ns}/${POD} Ready on the real node`, 60_000, async () => {
    const p = await readPod(POD, ns);
    return isReady(p) ? p : undefined;
  });
});
after(() => recorder.stop());

test("the demo pod was injected by podgate and bound through its extender to the real node", async () => {
  assert.equal(pod.spec?.nodeName, real.name);
  const init = pod.spec?.initContainers ?? [];
  assert.deepEqual(init.map((c) => c.name), ["init", SIDECAR], "podgate appended its sidecar after the pod's own init container");
  assert.equal(init[1]?.restartPolicy, "Always", "a native sidecar");
  assert.equal(init[1]?.image, real.images.logShipper, "the image named by the pod's annotation");
  assert.equal(pod.spec?.containers[0]?.resources?.requests?.["cpu"], "100m", "the defaults webhook filled requests");
  if (env.podgate) {
    const log = await readPodgateLog(env.podgate.logFile);
    const routes = reviewsOf(log, ns, POD).map((l) => l.route);
    assert.ok(routes.some((r) => r?.startsWith("/mutate")), "podgate mutated the pod");
    assert.ok(routes.some((r) => r?.startsWith("/validate")), "podgate validated the pod");
    assert.ok(extenderCallsOf(log, ns, POD, "filter").length >= 1, "podgate filtered nodes");
    if (env.bindThroughExtender) assert.equal(extenderCallsOf(log, ns, POD, "bind").length, 1, "podgate bound the pod");
  }
});

test("containerd ran it: the init container exited 0, the sidecar started before the app, the probe made it Ready", async () => {
  const status = pod.status!;
  const initStatus = status.initContainerStatuses?.find((s) => s.name === "init");
  assert.equal(initStatus?.state?.terminated?.exitCode, 0, "init exited 0");
  assert.equal(initStatus?.state?.terminated?.reason, "Completed");
  const sidecar = status.initContainerStatuses?.find((s) => s.name === SIDECAR);
  assert.ok(sidecar?.state?.running, "the native sidecar keeps running");
  assert.equal(sidecar?.started, true);
  const app = status.containerStatuses?.find((s) => s.name === "app");
  assert.ok(app?.state?.running, "the app runs");
  assert.equal(app?.ready, true, "Ready by its readiness probe");
  assert.match(app?.containerID ?? "", /^containerd:\/\//, "a containerd container, not a kwok fake");
  // Order from the containers' own first log lines (containerd's timestamps, ns precision).
  const [initLines, sidecarLines, appLines] = await Promise.all([logs("init"), logs(SIDECAR), logs("app")]);
  const initRan = initLines.find((l) => l.text.includes("init container ran"));
  const sidecarStarted = sidecarLines.find((l) => l.text.startsWith("log-shipper: started"));
  const appStarted = appLines.find((l) => l.text.includes("listening on"));
  const probed = appLines.find((l) => l.text.includes("readiness probe"));
  assert.ok(initRan && sidecarStarted && appStarted && probed, "each container logged its start");
  assert.ok(initRan.at < sidecarStarted.at, "init ran before the sidecar started");
  assert.ok(sidecarStarted.at < appStarted.at, "the sidecar started before the app");
  const sandbox = status.conditions?.find((c) => c.type === "PodReadyToStartContainers")?.lastTransitionTime;
  const rows = await recorder.print(`realnode: pod ${POD} on ${real.name}`, [POD]);
  const stages = rows[0]!.stages;
  const after = (t: number | undefined) => (t === undefined ? "-" : `+${t - created} ms`);
  process.stdout.write(
    [
      `kubelet stages of ${POD} (after the client's create; container stages from their first log line's CRI timestamp)`,
      `  sandbox ready        ${sandbox ? `${after(new Date(sandbox).getTime())} (condition time, 1 s resolution)` : "-"}`,
      `  init ran, exited 0   ${after(initRan.at)}`,
      `  sidecar started      ${after(sidecarStarted.at)}`,
      `  app started          ${after(appStarted.at)}`,
      `  first probe answered ${after(probed.at)}`,
      `  Ready (watch)        ${after(stages.ready)}`,
      "",
    ].join("\n"),
  );
});

test("kubectl logs reads the sidecar's log line: what the app wrote, shipped through their shared volume", async () => {
  const shipped = await poll("the sidecar to ship an app line", 10_000, async () => (await logs(SIDECAR)).find((l) => l.text.includes("[app.log]") && l.text.includes("app: ")));
  process.stdout.write(`kubectl logs ${POD} -c ${SIDECAR}: ${shipped.text}\n`);
});

test("kubectl describe shows the kubelet's events: scheduled, images present, containers created and started", async () => {
  const described = await kubectl(["describe", "pod", "-n", ns, POD]);
  assert.equal(described.code, 0, described.stderr);
  const events = described.stdout.slice(described.stdout.indexOf("Events:"));
  assert.match(events, /Scheduled/);
  assert.match(events, /already present on machine/);
  assert.equal((events.match(/Started/g) ?? []).length, 3, "init, sidecar and app started");
  process.stdout.write(`${events}\n`);
});

test("the pod's network stays on the harness's bridge: no default route, no nameserver", async () => {
  const ip = pod.status?.podIP ?? "";
  const prefix = real.subnet.replace(/\.0\/24$/, ".");
  assert.ok(ip.startsWith(prefix), `pod IP ${ip} in ${real.subnet}`);
  const text = await (await fetch(`http://${ip}:8080/network`)).text();
  const [routes = "", resolv = ""] = text.split("== /etc/resolv.conf\n");
  const destinations = routes.split("\n").slice(2).filter(Boolean).map((l) => l.split(/\s+/)[1]);
  assert.ok(destinations.length > 0, text);
  assert.ok(!destinations.includes("00000000"), `no default route in the pod:\n${routes}`);
  assert.ok(!/^\s*nameserver/m.test(resolv), `no nameserver in the pod's resolv.conf:\n${resolv}`);
});

test("deleting the pod stops its containers on the node", async () => {
  const deleted = await kubectl(["delete", "pod", "-n", ns, POD, "--wait=true", "--timeout=30s"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  await poll("the pod gone", 30_000, async () => (await core.listNamespacedPod({ namespace: ns })).items.length === 0);
  await assert.rejects(fetch(`http://${pod.status?.podIP}:8080/healthz`, { signal: AbortSignal.timeout(2000) }), "the app no longer answers");
});

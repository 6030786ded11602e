// Flow steps 1, 2 and 6 (UPDATE, DELETE, reinvocation) through the real
// apiserver, with kubectl where a user would type it.
import assert from "node:assert/strict";
import { before, after, test } from "node:test";
import { APP_IMAGE, SIDECAR, containerNames, core, env, kubectl, namespace, podYaml, readPod, startRecorder } from "./support/cluster.ts";
import type { PodRecorder } from "../../src/harness/recorder.ts";
import { readPodgateLog, reviewsOf } from "../../src/harness/timeline.ts";

let ns: string;
let recorder: PodRecorder;
before(async () => {
  ns = await namespace("e2e-admission");
  recorder = await startRecorder(ns);
});
after(() => recorder.stop());

const podgateLog = async () => (env.podgate ? readPodgateLog(env.podgate.logFile) : undefined);

test("kubectl apply in an injection-enabled namespace: the pod stored in etcd has the sidecar and the defaults", async () => {
  recorder.created("web", Date.now());
  const applied = await kubectl(["apply", "-f", "-"], podYaml("web", ns));
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /pod\/web created/);
  const pod = await readPod("web", ns);
  assert.deepEqual(containerNames(pod), ["app", SIDECAR]);
  assert.ok(pod.spec?.volumes?.some((v) => v.name === "podgate-logs"), "the sidecar's volume is stored");
  assert.ok(pod.metadata?.annotations?.["sidecar.podgate.io/status"], "the injection record is stored");
  const app = pod.spec!.containers[0]!;
  assert.equal(app.env?.find((e) => e.name === "LOG_DIR")?.value, "/var/log/app", "the template's env reaches the app container");
  // defaults filled what the user left empty
  assert.equal(app.resources?.requests?.["cpu"], "100m");
  assert.equal(app.resources?.requests?.["memory"], "128Mi");
  assert.equal(app.resources?.limits?.["memory"], "512Mi");
  assert.equal(app.imagePullPolicy, "IfNotPresent");
});

test("where restricted Pod Security is enforced, a compliant pod is injected and admitted: the sidecar template complies", async () => {
  const restricted = await namespace("e2e-restricted", { labels: { "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest" } });
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "compliant", namespace: restricted },
    spec: {
      securityContext: { runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: "RuntimeDefault" } },
      containers: [{ name: "app", image: APP_IMAGE, securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } }],
    },
  };
  const applied = await kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  assert.equal(applied.code, 0, applied.stderr);
  assert.deepEqual(containerNames(await readPod("compliant", restricted)), ["app", SIDECAR]);
  // The same pod without its securityContext is PodSecurity's to refuse, after podgate injected it.
  const bare = { ...pod, metadata: { ...pod.metadata, name: "bare" }, spec: { containers: [{ name: "app", image: APP_IMAGE }] } };
  const refused = await kubectl(["apply", "-f", "-"], JSON.stringify(bare));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /violates PodSecurity "restricted:latest"/);
});

test("a pod violating a Deny policy is rejected: kubectl exits 1 with the policy's message, and nothing is stored", async () => {
  const result = await kubectl(["apply", "-f", "-"], podYaml("forbidden", ns, { labels: { "e2e.podgate.dev/forbidden": "yes" } }));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /denied the request: policy e2e-forbidden-label: pods may not carry the label e2e\.podgate\.dev\/forbidden/);
  await assert.rejects(readPod("forbidden", ns), /404|not found/i);
  const privileged = await kubectl(["run", "priv", "-n", ns, `--image=${APP_IMAGE}`, "--privileged"]);
  assert.equal(privileged.code, 1);
  assert.match(privileged.stderr, /denied the request: policy pss-baseline-privileged/);
});

test("a Deployment with a privileged pod template is refused at kubectl apply, naming the template; nothing is stored", async () => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: privileged-web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: privileged-web}}
  template:
    metadata: {labels: {app: privileged-web}}
    spec:
      containers: [{name: app, image: ${APP_IMAGE}, securityContext: {privileged: true}}]
`;
  const result = await kubectl(["apply", "-f", "-"], deployment);
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /denied the request: policy pss-baseline-privileged: spec\.template: privileged: container "app"/);
  const stored = await kubectl(["get", "deployment", "privileged-web", "-n", ns]);
  assert.match(stored.stderr, /NotFound|not found/);
});

test("served policies see the watched Namespace: a policy's own namespaceSelector picks the labelled namespace, and its message reads namespaceObject", async () => {
  const team = await namespace("e2e-team", { labels: { "e2e.podgate.dev/team-policy": "on", "e2e.podgate.dev/team": "blue" } });
  const denied = await kubectl(["apply", "-f", "-"], podYaml("unlabelled", team));
  assert.equal(denied.code, 1, denied.stdout);
  assert.match(denied.stderr, new RegExp(`denied the request: policy e2e-team-label: pods in namespace ${team} \\(team blue\\) need a team label`));
  const labelled = await kubectl(["apply", "-f", "-"], podYaml("labelled", team, { labels: { team: "blue" } }));
  assert.equal(labelled.code, 0, labelled.stderr);
  // The policy's selector does not pick a namespace without its label: the same pod is admitted there.
  const elsewhere = await kubectl(["apply", "-f", "-"], podYaml("unlabelled", await namespace("e2e-noteam", { labels: { "e2e.podgate.dev/team": "blue" } })));
  assert.equal(elsewhere.code, 0, elsewhere.stderr);
});

test("a Warn policy's warning is printed by kubectl and the pod is admitted", async () => {
  const result = await kubectl(["apply", "-f", "-"], podYaml("latest", ns, { image: "registry.k8s.io/pause:latest" }));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /Warning: policy disallow-latest-tag: .*registry\.k8s\.io\/pause:latest/);
  assert.ok(await readPod("latest", ns));
});

test("a server-side dry-run create shows podgate's mutations and has no side effects", async () => {
  const result = await kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], podYaml("dry", ns));
  assert.equal(result.code, 0, result.stderr);
  const shown = JSON.parse(result.stdout) as { spec: { containers: { name: string }[] } };
  assert.deepEqual(shown.spec.containers.map((c) => c.name), ["app", SIDECAR]);
  await assert.rejects(readPod("dry", ns), /404|not found/i);
  const events = await core.listNamespacedEvent({ namespace: ns, fieldSelector: "involvedObject.name=dry" });
  assert.equal(events.items.length, 0, "no events for a pod that was never created");
  const log = await podgateLog();
  if (log) {
    const reviews = log.filter((l) => l.msg === "admission review" && l.namespace === ns && l.name === "dry");
    assert.ok(reviews.length >= 2 && reviews.every((l) => l.dryRun === true), "podgate saw the request as a dry run");
  }
});

test("UPDATE: the Deny policy refuses adding its label; an allowed update does not inject again", async () => {
  const denied = await kubectl(["label", "pod", "web", "-n", ns, "e2e.podgate.dev/forbidden=late"]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /policy e2e-forbidden-label: pods may not carry the label/);
  const allowed = await kubectl(["annotate", "pod", "web", "-n", ns, "e2e.podgate.dev/note=updated"]);
  assert.equal(allowed.code, 0, allowed.stderr);
  const pod = await readPod("web", ns);
  assert.equal(pod.metadata?.annotations?.["e2e.podgate.dev/note"], "updated");
  assert.equal(pod.metadata?.labels?.["e2e.podgate.dev/forbidden"], undefined);
  assert.deepEqual(containerNames(pod), ["app", SIDECAR]);
  const log = await podgateLog();
  if (log) assert.ok(reviewsOf(log, ns, "web").some((l) => l.route === "/validate/policy" && (l as { operation?: string }).operation === "UPDATE"), "podgate validated the UPDATE");
});

test("DELETE: a protected pod cannot be deleted until its annotation is removed", async () => {
  const create = await kubectl(["apply", "-f", "-"], podYaml("keep", ns, { annotations: { "e2e.podgate.dev/protected": "true" } }));
  assert.equal(create.code, 0, create.stderr);
  const denied = await kubectl(["delete", "pod", "keep", "-n", ns, "--wait=false"]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /policy e2e-protected-delete: pod is protected by e2e\.podgate\.dev\/protected=true/);
  assert.ok(await readPod("keep", ns), "still there");
  assert.equal((await kubectl(["annotate", "pod", "keep", "-n", ns, "e2e.podgate.dev/protected-"])).code, 0);
  const deleted = await kubectl(["delete", "pod", "keep", "-n", ns, "--wait=false"]);
  assert.equal(deleted.code, 0, deleted.stderr);
});

test("one mutating call per create: the sidecar and the defaults run in one review, and the apiserver calls podgate's mutating webhook once", async () => {
  const created = await kubectl(["apply", "-f", "-"], podYaml("again", ns));
  assert.equal(created.code, 0, created.stderr);
  const pod = await readPod("again", ns);
  assert.equal(containerNames(pod).filter((n) => n === SIDECAR).length, 1, "injected exactly once");
  assert.equal(pod.spec?.volumes?.filter((v) => v.name === "podgate-logs").length, 1);
  const log = await podgateLog();
  if (log) {
    const mutating = reviewsOf(log, ns, "again").filter((l) => l.route?.startsWith("/mutate"));
    assert.deepEqual(mutating.map((l) => l.route), ["/mutate/sidecar/defaults"], "one call: reinvocationPolicy Never");
    assert.match(String((mutating[0] as { webhooks?: string }).webhooks), /^sidecar=patched,defaults=(patched|allowed)$/, "both ran, the sidecar first");
  }
});

test("timeline of the applied pod", async () => {
  await recorder.print("admission: pod web", ["web"]);
});

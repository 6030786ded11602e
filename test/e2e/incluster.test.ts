// podgate deployed for real: its image (built here without a registry or
// Docker, controlplane/images.sh --podgate) run on the real node from
// manifests/overlays/local — the certificate bootstrap Job, two replicas
// behind the Service the apiserver calls (--enable-aggregator-routing dials
// the endpoints; no kube-proxy), the Lease leader, the restricted
// securityContext enforced by runc — and the apiserver calling it: a pod
// created with kubectl injected, a privileged pod denied. Needs the harness's
// real node with podgate's image (`npm run e2e` leaves this file out without).
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { after, before, test } from "node:test";
import { AppsV1Api, BatchV1Api, CoordinationV1Api } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { core, env, isReady, kubeConfig, kubectl, namespace, poll } from "./support/cluster.ts";
import { demoPod } from "../harness/demo-pod.ts";
import { createCa, createServingCert } from "../../src/certs/generate.ts";
import { joinBundle, splitPem } from "../../src/certs/inspect.ts";
import { fromSecretData } from "../../src/kube/secrets.ts";
import { injectedDemoPod } from "./support/injected-pod.ts";
import { REPO } from "../support/build.ts";

const real = env.realNode;
if (!real?.podgateImage) throw new Error("no real node with podgate's image: run with PODGATE_REAL_NODE=1 npm run e2e (images.sh --podgate builds it)");
const NS = "podgate";
const apps = kubeConfig.makeApiClient(AppsV1Api);
const batch = kubeConfig.makeApiClient(BatchV1Api);
const coordination = kubeConfig.makeApiClient(CoordinationV1Api);

type Doc = { kind: string; spec?: { template?: { spec: { hostAliases?: unknown[]; containers: { env?: unknown[] }[] } } } };

/**
 * manifests/overlays/local as `kubectl apply -k` would apply it, plus the one
 * thing only the running harness knows: where pods reach the apiserver (a
 * relay on the bridge; the apiserver's certificate names kubernetes.default.svc).
 */
async function rendered(): Promise<string> {
  const out = await kubectl(["kustomize", `${REPO}/manifests/overlays/local`]);
  assert.equal(out.code, 0, out.stderr);
  const [host, port] = real!.apiserver.split(":");
  const docs = parseAllDocuments(out.stdout).map((d) => d.toJS() as Doc);
  for (const doc of docs) {
    const pod = doc.spec?.template?.spec;
    if (!pod || (doc.kind !== "Deployment" && doc.kind !== "Job")) continue;
    pod.hostAliases = [{ ip: host, hostnames: ["kubernetes.default.svc"] }];
    for (const c of pod.containers) c.env = [...(c.env ?? []), { name: "KUBERNETES_SERVICE_HOST", value: "kubernetes.default.svc" }, { name: "KUBERNETES_SERVICE_PORT", value: port }];
  }
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: docs });
}

/** podgate's server pods that are not terminating. */
const serverPods = async () => (await core.listNamespacedPod({ namespace: NS, labelSelector: "app.kubernetes.io/component=server" })).items.filter((p) => p.metadata?.deletionTimestamp === undefined);
const b64 = (text: string) => Buffer.from(text).toString("base64");

let manifests: string;
let podgatePods: string[] = [];

const podgateLog = async () => {
  const r = await kubectl(["logs", "-n", NS, "-l", "app.kubernetes.io/component=server", "--tail=-1", "--prefix"]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

before(async () => {
  manifests = await rendered();
  const applied = await kubectl(["apply", "-f", "-"], manifests);
  assert.equal(applied.code, 0, applied.stderr);
  await poll("the certificates Job to complete", 180_000, async () => ((await batch.readNamespacedJob({ name: "podgate-certificates", namespace: NS })).status?.succeeded ?? 0) >= 1, 500);
  await poll("2 podgate replicas available", 180_000, async () => ((await apps.readNamespacedDeployment({ name: "podgate", namespace: NS })).status?.availableReplicas ?? 0) >= 2, 500);
  podgatePods = (await serverPods()).map((p) => p.metadata!.name!);
});

after(async () => {
  // Its webhooks fail closed: they go with it, before the rest of the suite runs.
  const deleted = await kubectl(["delete", "-f", "-", "--wait=true", "--timeout=120s", "--ignore-not-found"], manifests);
  if (deleted.code !== 0) process.stderr.write(`incluster: delete: ${deleted.stderr}\n`);
});

test("podgate runs in the cluster from manifests/overlays/local: the certificates Job completed, two replicas Ready on the real node, one holds the Lease", async () => {
  const running = await serverPods();
  assert.equal(running.length, 2);
  for (const p of running) {
    assert.equal(p.spec?.nodeName, real.name);
    assert.ok(isReady(p), `${p.metadata?.name} Ready (its /readyz)`);
    assert.match(p.status?.containerStatuses?.[0]?.imageID ?? "", /sha256:/);
  }
  const lease = await poll("a Lease holder", 60_000, async () => (await coordination.readNamespacedLease({ name: "podgate-certificates", namespace: NS })).spec?.holderIdentity);
  assert.ok(podgatePods.includes(lease), `the Lease is held by a podgate pod (${lease})`);
  const secret = await core.readNamespacedSecret({ name: "podgate-tls", namespace: NS });
  assert.ok(secret.data?.["tls.crt"] && secret.data["ca.crt"], "the Job made the serving certificate");
});

test("runc enforces the restricted securityContext: uid 1000, no capabilities, no privilege escalation, a read-only root filesystem", () => {
  const servers = readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmdline.includes("/app/bin/podgate.js") && cmdline.includes("serve");
    } catch {
      return false;
    }
  });
  assert.equal(servers.length, 2, "two podgate server processes on this machine");
  for (const pid of servers) {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    assert.match(status, /^CapEff:\s+0+$/m);
    assert.match(status, /^NoNewPrivs:\s+1$/m);
    assert.match(status, /^Seccomp:\s+2$/m, "a seccomp filter (RuntimeDefault)");
    const root = readFileSync(`/proc/${pid}/mountinfo`, "utf8").split("\n").find((l) => l.split(" ")[4] === "/");
    assert.match(root?.split(" ")[5] ?? "", /^ro\b/, `its root mount is read-only: ${root}`);
  }
});

test("the in-cluster podgate injects its sidecar into a pod created with kubectl, and the pod runs", async () => {
  const { namespace: ns } = await injectedDemoPod("e2e-incluster", real);
  const log = await poll("the in-cluster podgate's log of the review", 10_000, async () => (await podgateLog()).split("\n").find((l) => l.includes('"admission review"') && l.includes(`"namespace":"${ns}"`) && l.includes('"route":"/mutate/sidecar/defaults"') && l.includes('"decision":"patched"')));
  process.stdout.write(`in-cluster podgate: ${log.slice(0, 300)}\n`);
});

test("a Deny policy of the in-cluster podgate refuses a privileged pod with its message", async () => {
  const ns = await namespace("e2e-incluster-deny", { inject: false });
  const pod = demoPod("privileged", ns, real);
  pod.spec!.containers[0]!.securityContext = { privileged: true };
  const applied = await kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  assert.equal(applied.code, 1, "kubectl fails");
  assert.match(applied.stderr, /privileged/);
  const log = await poll("the in-cluster podgate's log of the denial", 10_000, async () => (await podgateLog()).split("\n").find((l) => l.includes(`"namespace":"${ns}"`) && l.includes('"decision":"denied"')));
  process.stdout.write(`kubectl: ${applied.stderr.trim()}\nin-cluster podgate: ${log.slice(0, 300)}\n`);
});

test("an edited ConfigMap is reloaded live by both replicas: the latest-tag policy turned from Warn to Deny refuses a pod, no restart", async () => {
  const ns = await namespace("e2e-incluster-reload", { inject: false });
  const configMap = await core.readNamespacedConfigMap({ name: "podgate-config", namespace: NS });
  const text = configMap.data?.["config.yaml"] ?? "";
  assert.match(text, /- name: disallow-latest-tag\n\s+validationActions: \[Warn\]/);
  const latest = demoPod("latest", ns, real);
  latest.spec!.containers[0]!.image = "podgate.local/app:latest";
  // A server-side dry run: admission runs in full, nothing is stored or started.
  const dryRun = () => kubectl(["create", "--dry-run=server", "-o", "name", "-f", "-"], JSON.stringify(latest));
  assert.equal((await dryRun()).code, 0, "Warn: allowed before the edit");
  const restarts = async () => (await core.listNamespacedPod({ namespace: NS, labelSelector: "app.kubernetes.io/component=server" })).items.map((p) => p.status?.containerStatuses?.[0]?.restartCount ?? -1);
  const before = await restarts();
  const edited = performance.now();
  await core.replaceNamespacedConfigMap({ name: "podgate-config", namespace: NS, body: { ...configMap, data: { "config.yaml": text.replace(/(- name: disallow-latest-tag\n\s+validationActions: )\[Warn\]/, "$1[Deny]") } } });
  // The kubelet writes the new files into both pods on its next sync; each replica reloads on its own.
  const reloaded = await poll("both replicas reloaded the config", 120_000, async () => {
    const lines = (await podgateLog()).split("\n").filter((l) => l.includes('"msg":"config reloaded"'));
    return podgatePods.every((pod) => lines.some((l) => l.includes(pod))) ? lines : undefined;
  }, 1000);
  const denied = await dryRun();
  assert.equal(denied.code, 1, "Deny: refused after the reload, by either replica");
  assert.match(denied.stderr, /latest/);
  assert.deepEqual(await restarts(), before, "no container restarted");
  process.stdout.write(`ConfigMap edited; both replicas reloaded within ${Math.round((performance.now() - edited) / 1000)} s:\n${reloaded.map((l) => l.slice(0, 240)).join("\n")}\n`);
});

test("a policy for a new resource added to the ConfigMap is served: the Lease leader adds its rule to the webhook configuration", async () => {
  const ns = await namespace("e2e-incluster-rules", { inject: false });
  const configMap = await core.readNamespacedConfigMap({ name: "podgate-config", namespace: NS });
  const text = configMap.data?.["config.yaml"] ?? "";
  const withFile = text.replace(/(- name: policy\n\s+type: policy\n(?:\s+\w+: .*\n)*?(\s+)settings:\n)/, "$1$2  files: [/etc/podgate/config/configmaps.yaml]\n");
  assert.notEqual(withFile, text, "the policy entry's settings gain the file");
  const policy = `apiVersion: podgate.dev/v1alpha1
kind: Policy
metadata: {name: configmaps-need-an-owner}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
    objectSelector: {matchLabels: {e2e.podgate.dev/rules: "true"}}
  validations:
    - expression: "has(object.metadata.labels) && 'owner' in object.metadata.labels"
      message: these ConfigMaps need an owner label
`;
  const rulesOf = async () => {
    const r = await kubectl(["get", "validatingwebhookconfiguration", "podgate", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { webhooks: { rules: { resources: string[] }[] }[] }).webhooks[0]!.rules;
  };
  assert.ok(!(await rulesOf()).some((r) => r.resources.includes("configmaps")), "not sent to podgate before");
  await core.replaceNamespacedConfigMap({ name: "podgate-config", namespace: NS, body: { ...configMap, data: { "config.yaml": withFile, "configmaps.yaml": policy } } });
  const edited = performance.now();
  await poll("the configmaps rule added by the leader", 120_000, async () => ((await rulesOf()).some((r) => r.resources.includes("configmaps")) ? true : undefined), 1000);
  const unowned = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "unowned", namespace: ns, labels: { "e2e.podgate.dev/rules": "true" } }, data: { a: "b" } };
  const denied = await poll("the ConfigMap denied", 30_000, async () => {
    const r = await kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify(unowned));
    return r.code === 1 ? r : undefined;
  }, 1000);
  assert.match(denied.stderr, /configmaps-need-an-owner: these ConfigMaps need an owner label/);
  const owned = await kubectl(["create", "--dry-run=server", "-f", "-"], JSON.stringify({ ...unowned, metadata: { ...unowned.metadata, labels: { ...unowned.metadata.labels, owner: "me" } } }));
  assert.equal(owned.code, 0, owned.stderr);
  const added = (await podgateLog()).split("\n").find((l) => l.includes("webhook rules added"));
  process.stdout.write(`rule added ${Math.round((performance.now() - edited) / 1000)} s after the edit:\n${added?.slice(0, 300)}\nkubectl: ${denied.stderr.trim()}\n`);
});

/** Server-side dry-run creates of a demo pod, one after another, for as long as `work` runs; none may fail. */
async function createsDuring<T>(ns: string, work: () => Promise<T>): Promise<{ result: T; sent: number }> {
  const load = { sent: 0, failed: [] as string[], running: true };
  const pod = demoPod("during", ns, real!);
  const creating = (async () => {
    while (load.running) {
      load.sent++;
      const r = await kubectl(["create", "--dry-run=server", "-o", "name", "-f", "-"], JSON.stringify(pod));
      if (r.code !== 0) load.failed.push(r.stderr.trim());
    }
  })();
  try {
    return { result: await work(), sent: load.sent };
  } finally {
    load.running = false;
    await creating;
    assert.ok(load.sent >= 10, `creates ran throughout (${load.sent})`);
    assert.deepEqual(load.failed, [], "no admission failed");
  }
}

/** The certificate a replica serves, read over TLS from its pod IP (on the harness's bridge) as the apiserver would check it. */
function servedCertificate(ip: string, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: ip, port: 8443, ca, servername: `podgate.${NS}.svc` }, () => {
      resolve(new X509Certificate(socket.getPeerX509Certificate()!.raw));
      socket.end();
    });
    socket.on("error", reject);
  });
}

test("a serving certificate about to expire is renewed by the Lease leader while pods are created: both replicas serve the new one, no admission fails", async () => {
  const ns = await namespace("e2e-incluster-rotation", { inject: false });
  const secret = await core.readNamespacedSecret({ name: "podgate-tls", namespace: NS });
  const stored = fromSecretData(secret.data);
  const original = new X509Certificate(stored.cert!);
  const hosts = (original.subjectAltName ?? "").split(", ").map((name) => name.replace(/^(DNS|IP Address):/, ""));
  // From the same CA, inside the 30-day renewal window: the leader must replace it.
  const planted = createServingCert({ ca: { cert: stored.ca!, key: stored.caKey! }, hosts, days: 5 });
  const chained = (stored.cert!.match(/BEGIN CERTIFICATE/g) ?? []).length > 1;
  const ips = (await serverPods()).map((p) => p.status!.podIP!);
  assert.equal(ips.length, 2);
  const plantedAt = performance.now();
  const { result: renewed, sent } = await createsDuring(ns, async () => {
    await core.replaceNamespacedSecret({ name: "podgate-tls", namespace: NS, body: { ...secret, data: { ...secret.data, "tls.crt": b64(planted.cert + (chained ? stored.ca! : "")), "tls.key": b64(planted.key) } } });
    return poll("both replicas serving a renewed certificate", 150_000, async () => {
      const served = await Promise.all(ips.map((ip) => servedCertificate(ip, stored.ca!).catch(() => undefined)));
      const fresh = served.every((c) => c && c.serialNumber !== original.serialNumber && c.serialNumber !== new X509Certificate(planted.cert).serialNumber && new Date(c.validTo).getTime() - Date.now() > 300 * 86_400_000);
      return fresh ? served : undefined;
    }, 1000);
  });
  assert.equal(new Set(renewed.map((c) => c!.serialNumber)).size, 1, "both replicas serve the one renewed certificate");
  const changed = (await podgateLog()).split("\n").find((l) => l.includes('"certificates changed"'));
  process.stdout.write(`renewed ${Math.round((performance.now() - plantedAt) / 1000)} s after the near-expiry certificate was planted; ${sent} creates, 0 failed\n${changed?.slice(0, 300)}\n`);
});

test("a CA about to expire is replaced by the Lease leader in three steps while pods are created: bundle with both, certificates from the new CA, old CAs dropped; none fails", async () => {
  const ns = await namespace("e2e-incluster-ca", { inject: false });
  const secret = await core.readNamespacedSecret({ name: "podgate-tls", namespace: NS });
  const stored = fromSecretData(secret.data);
  const oldCa = new X509Certificate(stored.ca!);
  // A CA that ends before a serving certificate it issued would: the leader must replace it. The replicas
  // keep serving their certificate from the old CA, which stays in the bundle until they serve a new one.
  const planted = createCa({ commonName: "podgate-ca-planted", days: 100 });
  const plantedCa = new X509Certificate(planted.cert);
  await core.replaceNamespacedSecret({
    name: "podgate-tls",
    namespace: NS,
    body: { ...secret, data: { ...secret.data, "ca.crt": b64(planted.cert), "ca.key": b64(planted.key), "ca-bundle.crt": b64(joinBundle([planted.cert, stored.ca!])) } },
  });
  const plantedAt = performance.now();
  const ips = (await serverPods()).map((p) => p.status!.podIP!);
  const bundles = async () => {
    const r = await kubectl(["get", "mutatingwebhookconfiguration,validatingwebhookconfiguration", "podgate", "-o", "json"]);
    assert.equal(r.code, 0, r.stderr);
    // Each webhook's bundle, as the fingerprints of the CAs in it.
    return (JSON.parse(r.stdout) as { items: { webhooks: { clientConfig: { caBundle: string } }[] }[] }).items.flatMap((c) =>
      c.webhooks.map((w) => splitPem(Buffer.from(w.clientConfig.caBundle, "base64").toString()).map((pem) => new X509Certificate(pem).fingerprint256)),
    );
  };
  const steps = new Set<string>();
  let seen = "nothing yet";
  const { result: rotated, sent } = await createsDuring(ns, async () => {
    try {
      return await poll("the new CA alone in every bundle, every replica serving from it", 240_000, async () => {
      const now = fromSecretData((await core.readNamespacedSecret({ name: "podgate-tls", namespace: NS })).data);
      const current = new X509Certificate(now.ca!);
      const inBundles = await bundles();
      const served = await Promise.all(ips.map((ip) => servedCertificate(ip, joinBundle([now.ca!, stored.ca!, planted.cert])).catch((error: Error) => error.message)));
      seen = `Secret CA ${current.subject.replace(/\n/g, ",")}; bundles ${JSON.stringify(inBundles.map((b) => b.length))}; served ${served.map((c) => (typeof c === "string" ? c : c.issuer.replace(/\n/g, ","))).join(" | ")}`;
      if (current.fingerprint256 === oldCa.fingerprint256 || current.fingerprint256 === plantedCa.fingerprint256) return undefined;
      steps.add("new CA");
      if (inBundles.every((b) => b.includes(current.fingerprint256))) steps.add("bundle trusts the new CA");
      if (!served.every((c) => typeof c !== "string" && c.checkIssued(current))) return undefined;
      steps.add("replicas serve from the new CA");
      return inBundles.every((b) => b.length === 1 && b[0] === current.fingerprint256) ? { ca: current } : undefined;
    }, 2000);
    } catch (error) {
      const lines = (await podgateLog()).split("\n").filter((l) => l.includes("certificate"));
      throw new Error(`${(error as Error).message}; steps seen: ${[...steps].join(", ") || "none"}; last: ${seen}\n${lines.slice(-12).join("\n")}`, { cause: error });
    }
  });
  assert.deepEqual([...steps], ["new CA", "bundle trusts the new CA", "replicas serve from the new CA"]);
  const lines = (await podgateLog()).split("\n").filter((l) => l.includes('"certificates changed"'));
  process.stdout.write(`CA rotated in ${Math.round((performance.now() - plantedAt) / 1000)} s (${rotated.ca.subject.replace(/\n/g, ",")}); ${sent} creates, 0 failed\n${lines.map((l) => l.slice(0, 260)).join("\n")}\n`);
});

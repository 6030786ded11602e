// etcd, kube-apiserver, kube-controller-manager and kwok on loopback, with the
// flags controlplane/README.md documents as working (v1.36.3, etcd
// v3.6.16, kwok v0.8.0); kube-scheduler is started separately because its
// configuration depends on podgate. The binaries are built from the Go module
// proxy by controlplane/build.sh (shipped in the package) into the user's
// cache directory, shared by every project and checkout: build.sh stamps each
// binary with its inputs, so a stale one is rebuilt, never run.
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, KubeConfig, type V1Node } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { packagePath } from "../package-root.ts";
import { createPki, type Pki } from "./pki.ts";
import { nodeObject, type FakeNodeSpec } from "./nodes.ts";
import type { Supervisor } from "./supervisor.ts";
import { freePort, httpsGet, waitFor } from "./wait.ts";

export const BINARIES = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"] as const;

/** $PODGATE_CP_BIN, or podgate/controlplane/bin under the user's cache directory (as build.sh has it). */
export function binDir(): string {
  return process.env["PODGATE_CP_BIN"] ?? join(process.env["XDG_CACHE_HOME"] ?? join(homedir(), ".cache"), "podgate/controlplane/bin");
}

export interface ControlPlane {
  readonly pki: Pki;
  readonly kubeconfig: string;
  readonly apiUrl: string;
  readonly kubeConfig: KubeConfig;
  readonly timings: Record<string, number>;
}

function kubeconfigYaml(server: string, pki: { ca: string; cert: string; key: string }): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "podgate-e2e", cluster: { server, "certificate-authority-data": pki.ca } }],
    users: [{ name: "admin", user: { "client-certificate-data": pki.cert, "client-key-data": pki.key } }],
    contexts: [{ name: "podgate-e2e", context: { cluster: "podgate-e2e", user: "admin" } }],
    "current-context": "podgate-e2e",
  });
}

/**
 * The apiserver's admission configuration: a client certificate for every
 * webhook that asks for one (podgate with server.clientCA), as a cluster
 * that requires it would be set up.
 */
async function admissionConfiguration(work: string, pki: Pki): Promise<string> {
  const kubeconfig = join(work, "webhook-client.kubeconfig");
  await writeFile(kubeconfig, stringify({ apiVersion: "v1", kind: "Config", users: [{ name: "*", user: { "client-certificate": pki.webhookClientCert, "client-key": pki.webhookClientKey } }] }), { mode: 0o600 });
  const file = join(work, "admission-configuration.yaml");
  const webhookAdmission = (kind: string) => ({ name: kind, configuration: { apiVersion: "apiserver.config.k8s.io/v1", kind: "WebhookAdmissionConfiguration", kubeConfigFile: kubeconfig } });
  await writeFile(file, stringify({ apiVersion: "apiserver.config.k8s.io/v1", kind: "AdmissionConfiguration", plugins: [webhookAdmission("ValidatingAdmissionWebhook"), webhookAdmission("MutatingAdmissionWebhook")] }));
  return file;
}

const b64 = async (path: string) => (await readFile(path)).toString("base64");

export async function startControlPlane(work: string, sup: Supervisor, log: (message: string) => void): Promise<ControlPlane> {
  const bin = binDir();
  const missing = BINARIES.filter((b) => !existsSync(join(bin, b)));
  if (missing.length > 0) throw new Error(`control-plane binaries missing in ${bin}: ${missing.join(", ")}; run controlplane/build.sh (podgate e2e builds them)`);
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (what: string) => (timings[what] = Math.round(performance.now() - t0));
  const alive = () => sup.assertAlive();

  const pkiDir = join(work, "pki");
  await mkdir(pkiDir, { recursive: true });
  const [pki, etcdPort, etcdPeer, apiPort, kcmPort, kwokPort] = await Promise.all([createPki(pkiDir), freePort(), freePort(), freePort(), freePort(), freePort()]);
  mark("pki");
  const apiUrl = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = join(work, "admin.kubeconfig");
  await writeFile(kubeconfig, kubeconfigYaml(apiUrl, { ca: await b64(pki.caCert), cert: await b64(pki.adminCert), key: await b64(pki.adminKey) }), { mode: 0o600 });
  const admissionConfig = await admissionConfiguration(work, pki);

  sup.start("etcd", join(bin, "etcd"), [
    "--name=podgate-e2e", `--data-dir=${join(work, "etcd")}`,
    `--listen-client-urls=http://127.0.0.1:${etcdPort}`, `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
    `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
    `--initial-cluster=podgate-e2e=http://127.0.0.1:${etcdPeer}`, "--unsafe-no-fsync", "--log-level=warn",
  ]);
  await waitFor("etcd /health", 30_000, async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok, alive);
  mark("etcd healthy");
  log(`etcd healthy on 127.0.0.1:${etcdPort}`);

  sup.start("kube-apiserver", join(bin, "kube-apiserver"), [
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${apiPort}`,
    `--tls-cert-file=${pki.apiserverCert}`, `--tls-private-key-file=${pki.apiserverKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--requestheader-client-ca-file=${pki.frontProxyCa}`, "--requestheader-allowed-names=front-proxy-client",
    "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
    "--requestheader-extra-headers-prefix=X-Remote-Extra-",
    `--proxy-client-cert-file=${pki.frontProxyClientCert}`, `--proxy-client-key-file=${pki.frontProxyClientKey}`,
    "--authorization-mode=Node,RBAC",
    `--admission-control-config-file=${admissionConfig}`,
    // kubectl logs/exec on the real node: the apiserver calls its kubelet with
    // this client certificate, at the node's InternalIP (never a name the
    // machine's DNS resolver would be asked for).
    `--kubelet-client-certificate=${pki.adminCert}`, `--kubelet-client-key=${pki.adminKey}`,
    "--kubelet-preferred-address-types=InternalIP",
    // Webhook Services are dialled at their endpoints (pod IPs on the real
    // node's bridge): there is no kube-proxy to route a ClusterIP.
    "--enable-aggregator-routing=true",
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    // loopback advertise address: the endpoint reconciler would fail forever
    "--endpoint-reconciler-type=none",
    "--allow-privileged=true", "--profiling=false",
  ]);
  const admin = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
  await waitFor("kube-apiserver /readyz", 120_000, async () => (await httpsGet(`${apiUrl}/readyz`, admin)).status === 200, alive);
  mark("apiserver ready");
  log(`kube-apiserver ready at ${apiUrl}`);

  sup.start("kube-controller-manager", join(bin, "kube-controller-manager"), [
    `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    "--bind-address=127.0.0.1", `--secure-port=${kcmPort}`, "--leader-elect=false",
    "--use-service-account-credentials=true", `--service-account-private-key-file=${pki.saKey}`,
    `--root-ca-file=${pki.caCert}`, `--cluster-signing-cert-file=${pki.caCert}`, `--cluster-signing-key-file=${pki.caKey}`,
    // no cloud provider here
    "--controllers=*,-service-lb-controller,-cloud-node-lifecycle-controller,-node-route-controller",
    "--profiling=false",
  ]);
  const stageDir = packagePath("controlplane/kwok");
  const stages = readdirSync(stageDir).filter((f) => f.endsWith(".yaml")).map((f) => `--config=${join(stageDir, f)}`);
  sup.start("kwok", join(bin, "kwok"), [
    `--kubeconfig=${kubeconfig}`, "--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
    "--node-lease-duration-seconds=40",
    // kwok's default pod CIDR is the service CIDR: pod IPs would clash with ClusterIPs
    "--cidr=10.244.0.1/16", "--node-ip=127.0.0.1", `--server-address=127.0.0.1:${kwokPort}`,
    ...stages,
  ]);
  await waitFor("kube-controller-manager /healthz", 60_000, async () => (await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`)).status === 200, alive);
  mark("kcm healthy");

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeconfig);
  return { pki, kubeconfig, apiUrl, kubeConfig, timings };
}

/** Creates the fake nodes and waits until kwok has made every one Ready. */
export async function addNodes(plane: ControlPlane, specs: readonly FakeNodeSpec[], alive: () => void): Promise<V1Node[]> {
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  for (let i = 0; i < specs.length; i += 20) await Promise.all(specs.slice(i, i + 20).map((s) => core.createNode({ body: nodeObject(s) })));
  const names = new Set(specs.map((s) => s.name));
  return waitFor(`${specs.length} kwok nodes Ready`, 90_000, async () => {
    const list = await core.listNode({ labelSelector: "type=kwok" });
    const ready = list.items.filter((n) => names.has(n.metadata?.name ?? "") && n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    return ready.length === names.size ? ready : undefined;
  }, alive, 500);
}

/** kube-scheduler with the given KubeSchedulerConfiguration (podgate's extenders block or none); resolves to its secure port. */
export async function startScheduler(work: string, sup: Supervisor, plane: ControlPlane, config: Record<string, unknown>, name = "kube-scheduler"): Promise<number> {
  const port = await freePort();
  const path = join(work, `${name}.yaml`);
  const clientConnection = { ...(config["clientConnection"] as Record<string, unknown> | undefined), kubeconfig: plane.kubeconfig };
  await writeFile(path, stringify({ ...config, clientConnection, leaderElection: { leaderElect: false } }));
  sup.start(name, join(binDir(), "kube-scheduler"), [
    `--config=${path}`, `--authentication-kubeconfig=${plane.kubeconfig}`, `--authorization-kubeconfig=${plane.kubeconfig}`,
    "--bind-address=127.0.0.1", `--secure-port=${port}`,
  ]);
  await waitFor(`${name} /healthz`, 60_000, async () => (await httpsGet(`https://127.0.0.1:${port}/healthz`)).status === 200, () => sup.assertAlive());
  return port;
}

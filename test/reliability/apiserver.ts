// Just enough real control plane for the extender's API-drop scenario: etcd
// and kube-apiserver from controlplane/build.sh, a token for an admin
// in system:masters, and a kubeconfig. The apiserver can be stopped and
// started again on the same port; etcd keeps the state.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { binDir } from "../../src/harness/controlplane.ts";
import { call } from "../../src/harness/https.ts";
import { freePort } from "../../src/harness/wait.ts";
import { stringify } from "yaml";
import { createCa, createServingCert } from "../../src/certs/generate.ts";

export function controlPlaneBin(): string | undefined {
  const dir = binDir();
  return existsSync(join(dir, "kube-apiserver")) && existsSync(join(dir, "etcd")) ? dir : undefined;
}

export interface ControlPlane {
  readonly kubeconfig: string;
  readonly url: string;
  readonly token: string;
  readonly ca: string;
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  stop(): Promise<void>;
}

const TOKEN = "podgate-reliability-admin-token";

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function startControlPlane(bin: string, dir: string): Promise<ControlPlane> {
  await mkdir(dir, { recursive: true });
  const ca = createCa({ commonName: "reliability-ca" });
  const serving = createServingCert({ ca, hosts: ["127.0.0.1", "localhost"] });
  const sa = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  const file = (name: string) => join(dir, name);
  await writeFile(file("ca.crt"), ca.cert);
  await writeFile(file("apiserver.crt"), serving.cert);
  await writeFile(file("apiserver.key"), serving.key, { mode: 0o600 });
  await writeFile(file("sa.pub"), sa.publicKey);
  await writeFile(file("sa.key"), sa.privateKey, { mode: 0o600 });
  await writeFile(file("tokens.csv"), `${TOKEN},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const url = `https://127.0.0.1:${apiPort}`;
  const logs = (name: string) => (child: ChildProcess) => {
    const out: string[] = [];
    child.stderr?.setEncoding("utf8").on("data", (c: string) => out.push(c) > 200 && out.shift());
    child.once("exit", (code) => code !== 0 && code !== null && process.stderr.write(`${name} exited ${code}:\n${out.slice(-5).join("")}\n`));
    return child;
  };
  const etcd = logs("etcd")(
    spawn(join(bin, "etcd"), [
      "--name=reliability",
      `--data-dir=${file("etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=reliability=http://127.0.0.1:${peerPort}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ], { stdio: ["ignore", "ignore", "pipe"] }),
  );
  let apiserver: ChildProcess | undefined;
  const ready = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const status = await call(`${url}/readyz`, { ca: ca.cert, headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 2000 }).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) return;
      if (apiserver?.exitCode !== null) throw new Error("kube-apiserver exited while starting");
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`kube-apiserver not ready after ${timeoutMs} ms`);
  };
  const startApiserver = async () => {
    apiserver = logs("kube-apiserver")(
      spawn(join(bin, "kube-apiserver"), [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--tls-cert-file=${file("apiserver.crt")}`,
        `--tls-private-key-file=${file("apiserver.key")}`,
        `--token-auth-file=${file("tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${file("sa.pub")}`,
        `--service-account-signing-key-file=${file("sa.key")}`,
        "--service-cluster-ip-range=10.0.0.0/24",
        "--endpoint-reconciler-type=none",
        "--disable-admission-plugins=ServiceAccount",
        "--profiling=false",
      ], { stdio: ["ignore", "ignore", "pipe"] }),
    );
    await ready(120_000);
  };
  await startApiserver();
  const kubeconfig = file("kubeconfig");
  await writeFile(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "reliability", cluster: { server: url, "certificate-authority-data": Buffer.from(ca.cert).toString("base64") } }],
      users: [{ name: "admin", user: { token: TOKEN } }],
      contexts: [{ name: "reliability", context: { cluster: "reliability", user: "admin" } }],
      "current-context": "reliability",
    }),
    { mode: 0o600 },
  );
  return {
    kubeconfig,
    url,
    token: TOKEN,
    ca: ca.cert,
    stopApiserver: () => stopChild(apiserver),
    startApiserver,
    async stop() {
      await stopChild(apiserver);
      await stopChild(etcd);
    },
  };
}

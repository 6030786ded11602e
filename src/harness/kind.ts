// kind for users' e2e tests: nodes that run pods for real (kubelet and
// containerd in kind's node containers), kube-scheduler calling the project's
// extender and kube-apiserver its webhooks. podgate is served on this machine
// at the kind network's gateway, as `--local` serves it on loopback, so a
// project's modules and plugins need no image. Two ways to the nodes:
//   online   a Docker engine that answers (and pulls): kind's published node image;
//   offline  none answers: as root, the private dockerd and the node image
//            built from the Go module proxy and Debian's packages
//            (controlplane/kind/), with the machine's state read before and
//            checked after.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { parse, stringify } from "yaml";
import { packagePath } from "../package-root.ts";
import { ensureLocalCertificates } from "../server/tls.ts";
import { binDir } from "./controlplane.ts";
import { diffMachineState, readMachineState, type MachineState } from "./machine-state.ts";
import { schedulerConfig } from "./podgate.ts";
import { waitFor } from "./wait.ts";

const run = promisify(execFile);

/** What an offline run builds: kind, the node's binaries and the control plane's images. */
export const KIND_OFFLINE_BINARIES = ["kind", "kubeadm", "kubelet", "kubectl", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "etcd"] as const;
/** The private dockerd's run directory (controlplane/kind/docker.sh): the machine-state check leaves it out. */
const DOCKER_RUN_DIR = "/run/podgate-docker";
/** Where the control-plane node mounts the scheduler's files (its config and podgate's CA). */
export const SCHEDULER_DIR_IN_NODE = "/etc/kubernetes/podgate";
/** An image kind's published nodes pull; offline, the node's own sandbox image stands in. */
const ONLINE_IMAGE = "registry.k8s.io/pause:3.10";

export interface KindClusterConfigOptions {
  readonly workers: number;
  readonly offline: boolean;
  /** This machine's directory with scheduler.yaml (and the CA it names); absent: the plain scheduler. */
  readonly schedulerDir?: string;
}

/** kind's Cluster config: a control plane whose kube-scheduler runs with podgate's scheduler.yaml, and workers. */
export function kindClusterConfig(options: KindClusterConfigOptions): Record<string, unknown> {
  const scheduler = options.schedulerDir
    ? {
        extraMounts: [{ hostPath: options.schedulerDir, containerPath: SCHEDULER_DIR_IN_NODE, readOnly: true }],
        kubeadmConfigPatches: [
          stringify({
            kind: "ClusterConfiguration",
            scheduler: {
              extraArgs: { config: `${SCHEDULER_DIR_IN_NODE}/scheduler.yaml` },
              extraVolumes: [{ name: "podgate", hostPath: SCHEDULER_DIR_IN_NODE, mountPath: SCHEDULER_DIR_IN_NODE, readOnly: true, pathType: "Directory" }],
            },
          }),
        ],
      }
    : {};
  // Offline: the control plane's images under podgate.local, no CoreDNS or kindnet (no images for them).
  const offline = options.offline ? (parse(readFileSync(packagePath("controlplane/kind/kind-offline.yaml"), "utf8")) as Record<string, unknown>) : {};
  return {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    nodes: [{ role: "control-plane", ...scheduler }, ...Array.from({ length: options.workers }, () => ({ role: "worker" }))],
    ...offline,
  };
}

export interface KindCluster {
  readonly kubeconfig: string;
  /** This machine's address on the nodes' network: podgate listens there. */
  readonly gateway: string;
  /** An image the nodes run without a registry. */
  readonly image: string;
  /** Deletes the cluster, its network and (offline) the private dockerd; throws if the machine differs from before. */
  delete(): Promise<void>;
}

export interface KindStartOptions {
  readonly work: string;
  readonly workers: number;
  /** The project's podgate config, for its scheduler-config (the extender; none when it is off). */
  readonly config: string;
  readonly log: (message: string) => void;
  readonly quiet: boolean;
}

/** Runs a command, its output going to stderr (unless quiet); throws with the last lines when it fails. */
async function step(command: string, args: readonly string[], env: NodeJS.ProcessEnv, quiet: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let tail = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      tail = (tail + d.toString()).slice(-4000);
      if (!quiet) process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(" ")} exited ${code}:\n${tail}`))));
  });
}

async function dockerAnswers(env: NodeJS.ProcessEnv): Promise<boolean> {
  return run("docker", ["version", "--format", "{{.Server.Version}}"], { env }).then(() => true, () => false);
}

/** Whether this run pulls (a Docker engine answers) or builds everything here (none does: root needed). */
export async function kindMode(env: NodeJS.ProcessEnv = process.env): Promise<"online" | "offline"> {
  if (await dockerAnswers(env)) return "online";
  if (process.getuid?.() !== 0) {
    throw new Error(
      "--kind needs a Docker engine (none answers here: `docker version` failed), or root to start podgate's own " +
        "(controlplane/kind/docker.sh: Debian's dockerd with no iptables, NAT or forwarding) and build kind's node image without a registry",
    );
  }
  return "offline";
}

/** Creates the kind cluster with the project's scheduler config; podgate must then serve at https://<gateway>:<port>. */
export async function createKindCluster(options: KindStartOptions, mode: "online" | "offline", port: number, tlsDir: string): Promise<KindCluster> {
  const { work, log, quiet } = options;
  const bin = binDir();
  // The pinned build when there is one (offline there always is), else kind from PATH.
  const kind = existsSync(join(bin, "kind")) ? join(bin, "kind") : "kind";
  const suffix = randomBytes(3).toString("hex");
  const name = `podgate-e2e-${suffix}`;
  const network = `podgate-e2e-${suffix}`;
  const kubeconfig = join(work, "kubeconfig");
  const env: NodeJS.ProcessEnv = { ...process.env, KIND_EXPERIMENTAL_DOCKER_NETWORK: network };
  const script = (s: string) => packagePath(`controlplane/kind/${s}`);
  let before: MachineState | undefined;
  const undo: (() => Promise<void>)[] = [];
  const remove = async () => {
    const errors: string[] = [];
    for (const u of undo.splice(0).reverse()) await u().catch((e: unknown) => errors.push((e as Error).message));
    if (before) {
      const differences = diffMachineState(before, await readMachineState(DOCKER_RUN_DIR));
      if (differences.length > 0) errors.push(`the machine differs from before the cluster:\n  ${differences.join("\n  ")}`);
      else log("the machine is as it was before the cluster (iptables, links, routes, mounts, cgroups, sysctls, paths, processes)");
    }
    if (errors.length > 0) throw new Error(`deleting the kind cluster: ${errors.join("; ")}`);
  };
  try {
    let nodeImage: string[] = [];
    let gateway: string;
    let image = ONLINE_IMAGE;
    if (mode === "offline") {
      if (readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim() !== "0") {
        throw new Error("--kind offline: net.ipv4.ip_forward is 1 on this machine, so the nodes' traffic could leave it through the kind network's bridge; refusing");
      }
      before = await readMachineState(DOCKER_RUN_DIR);
      undo.push(() => step(script("docker.sh"), ["stop"], process.env, quiet).then(() => undefined));
      const started = await step(script("docker.sh"), ["start"], process.env, quiet);
      env["DOCKER_HOST"] = /DOCKER_HOST=(\S+)/.exec(started)?.[1];
      log("building kind's node image (the first time about 2 minutes: a Debian base from debootstrap; then cached)");
      nodeImage = ["--image", (await step(script("node-image.sh"), [], env, quiet)).trim()];
      gateway = (await step(script("docker.sh"), ["network", network, `pgb-${suffix}`], env, quiet)).trim();
      const { stdout } = await run(join(bin, "kubeadm"), ["config", "images", "list", "--image-repository", "podgate.local"]);
      image = stdout.split("\n").find((l) => l.includes("/pause:")) ?? image;
    } else {
      await run("docker", ["network", "create", network], { env });
      const { stdout } = await run("docker", ["network", "inspect", network, "--format", "{{range .IPAM.Config}}{{.Gateway}} {{end}}"], { env });
      gateway = stdout.trim().split(" ").find((g) => /^\d+\.\d+\.\d+\.\d+$/.test(g)) ?? "";
      if (!gateway) throw new Error(`docker network ${network} has no IPv4 gateway (docker network inspect ${network})`);
    }
    undo.push(() => run("docker", ["network", "rm", network], { env }).then(() => undefined));
    // The scheduler's files, mounted into the control-plane node: podgate's CA and its extender config.
    await ensureLocalCertificates(tlsDir, [gateway, "127.0.0.1", "localhost"]);
    const schedulerDir = join(work, "scheduler");
    await mkdir(schedulerDir, { recursive: true });
    await copyFile(join(tlsDir, "ca.crt"), join(schedulerDir, "ca.crt"));
    const target = { configPath: options.config, url: `https://${gateway}:${port}`, caFile: `${SCHEDULER_DIR_IN_NODE}/ca.crt` };
    const extender = await schedulerConfig(target, "/etc/kubernetes/scheduler.conf");
    if (extender) await writeFile(join(schedulerDir, "scheduler.yaml"), stringify(extender));
    const configFile = join(work, "kind-cluster.yaml");
    await writeFile(configFile, stringify(kindClusterConfig({ workers: options.workers, offline: mode === "offline", ...(extender ? { schedulerDir } : {}) })));
    log(`creating kind cluster ${name} (${options.workers} worker${options.workers === 1 ? "" : "s"}) on network ${network}, podgate at ${gateway}:${port}`);
    undo.push(() => step(kind, ["delete", "cluster", "--name", name], env, quiet).then(() => undefined));
    await step(kind, ["create", "cluster", "--name", name, ...nodeImage, "--config", configFile, "--kubeconfig", kubeconfig, "--wait", "180s"], env, quiet);
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await waitFor(`${options.workers + 1} kind nodes Ready`, 180_000, async () => {
      const nodes = (await core.listNode()).items;
      return nodes.length === options.workers + 1 && nodes.every((n) => n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"));
    }, () => {}, 1000);
    return { kubeconfig, gateway, image, delete: remove };
  } catch (error) {
    await remove().catch((e: unknown) => log((e as Error).message));
    throw error;
  }
}

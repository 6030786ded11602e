// A real node beside the kwok nodes: the Go-built kubelet (v1.36.3), Debian's
// containerd 1.6 and runc, and a CNI bridge the harness creates. Pods that
// tolerate its taint run for real: sandbox, init containers, native sidecars,
// probes, logs. Everything it touches is put back on stop(), which then
// compares the machine with what it read before starting and throws if
// anything was left behind (src/harness/machine-state.ts).
//
// The traps of this machine and their fixes (issue 23) are in the comments
// where each is handled. Needs root; realNodePreflight() says why not.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { CoreV1Api, type V1Node } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { z } from "zod";
import { binDir, type ControlPlane } from "../../src/harness/controlplane.ts";
import type { E2eEnvironment } from "./env.ts";
import { diffMachineState, processesMentioning, readMachineState, type MachineState } from "../../src/harness/machine-state.ts";
import { createNodeCredentials } from "../../src/harness/pki.ts";
import type { Supervisor } from "../../src/harness/supervisor.ts";
import { freePort, waitFor } from "../../src/harness/wait.ts";
import { REPO } from "../support/build.ts";

const run = promisify(execFile);

export const REAL_NODE_NAME = "real-node";
/** Only pods that tolerate this taint (and select the label) run on the real node; the kwok suite never lands there. */
export const REAL_NODE_TAINT = { key: "podgate.dev/real-node", value: "true", effect: "NoSchedule" } as const;
export const REAL_NODE_LABEL = { key: "podgate.dev/real-node", value: "true" } as const;
/** Built by controlplane/images.sh, imported into the node's containerd. */
export const REAL_NODE_IMAGES = { pause: "podgate.local/pause:e2e", app: "podgate.local/app:e2e", logShipper: "podgate.local/log-shipper:e2e" } as const;
const IMAGE_FILES = ["pause", "app", "log-shipper"] as const;
/** podgate's own image (images.sh --podgate), imported when built. */
export const PODGATE_IMAGE = "podgate.local/podgate:e2e";
/** Where pods reach the apiserver: a TCP relay on the bridge address (the apiserver listens on loopback only). */
export const API_RELAY_PORT = 6443;

/** Two runs on one machine would fight over cgroups, bridges and kubelet ports: one at a time. */
export const LOCK_DIR = "/run/lock/podgate-real-node";
const CNI_BIN = "/usr/lib/cni";
// kubelet's setupKernelTunables writes these at start (kernel.panic=10,
// panic_on_oops=1, overcommit_memory=1, ...); it runs in a private mount
// namespace where scratch files are bind-mounted over them.
const KUBELET_SYSCTLS = ["vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops", "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes"];

export const realNodeMode = z.enum(["auto", "1", "0"]).default("auto");
export type RealNodeMode = z.infer<typeof realNodeMode>;

/** PODGATE_REAL_NODE: 1 = required, 0 = off, auto (default) = when this machine can run it. */
export function readRealNodeMode(value = process.env["PODGATE_REAL_NODE"]): RealNodeMode {
  const parsed = realNodeMode.safeParse(value === "" ? undefined : value);
  if (!parsed.success) throw new Error(`PODGATE_REAL_NODE=${value}: expected 1, 0 or auto`);
  return parsed.data;
}

export function imagesDir(): string {
  return process.env["PODGATE_IMAGES_DIR"] ?? join(REPO, ".cache/controlplane/images");
}

const onPath = (name: string) => (process.env["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":").some((d) => existsSync(join(d, name)));

/** Why this machine cannot run the real node, or undefined when it can. */
export function realNodePreflight(): string | undefined {
  if (process.getuid?.() !== 0) return "the real node needs root (kubelet, containerd, mounts, a bridge)";
  const tools = ["containerd", "containerd-shim-runc-v2", "runc", "ctr", "ip", "unshare", "mount", "umount", "iptables-save"].filter((t) => !onPath(t));
  if (tools.length > 0) return `missing on PATH: ${tools.join(", ")} (controlplane/node-deps.sh installs them)`;
  const plugins = ["bridge", "host-local", "loopback"].filter((p) => !existsSync(join(CNI_BIN, p)));
  if (plugins.length > 0) return `missing CNI plugins in ${CNI_BIN}: ${plugins.join(", ")} (containernetworking-plugins)`;
  if (!existsSync(join(binDir(), "kubelet"))) return `${join(binDir(), "kubelet")} missing: run controlplane/build.sh`;
  const images = IMAGE_FILES.filter((f) => !existsSync(join(imagesDir(), `${f}.tar`)));
  if (images.length > 0) return `images missing in ${imagesDir()}: ${images.join(", ")}: run controlplane/images.sh`;
  if (!existsSync("/sys/fs/cgroup")) return "no /sys/fs/cgroup";
  const holder = lockHolder();
  if (holder) return `another real node run is up (pid ${holder.pid}, lock ${LOCK_DIR})`;
  return undefined;
}

export interface RealNode {
  readonly name: string;
  /** The node's InternalIP, on the harness's bridge. */
  readonly ip: string;
  readonly bridge: string;
  readonly subnet: string;
  /** host:port of the apiserver relay, for pods (its certificate names kubernetes.default.svc, not this address). */
  readonly apiserver: string;
  /** podgate's image was imported (images.sh --podgate had built it). */
  readonly podgateImage: boolean;
  readonly timings: Record<string, number>;
  /** Deletes its pods, stops kubelet and containerd, removes what they made; throws if the machine differs from before. */
  stop(): Promise<void>;
}

/** What the e2e suite is told about the real node ($PODGATE_E2E_ENV). */
export function realNodeEnvironment(node: RealNode): NonNullable<E2eEnvironment["realNode"]> {
  return {
    name: node.name, ip: node.ip, subnet: node.subnet, apiserver: node.apiserver, podgateImage: node.podgateImage,
    taint: { ...REAL_NODE_TAINT }, label: { ...REAL_NODE_LABEL }, images: { ...REAL_NODE_IMAGES },
  };
}

async function sh(command: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(command, args, { maxBuffer: 16 << 20 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")}: ${(e.stderr || e.message).trim()}`, { cause: error });
  }
}

// ---- the lock, and what a dead holder left ---------------------------------

const lockOwner = z.strictObject({ pid: z.number(), work: z.string(), bridge: z.string(), cgroupName: z.string() });
type LockOwner = z.infer<typeof lockOwner>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live run holding the lock, if any. */
export function lockHolder(): LockOwner | undefined {
  try {
    const owner = lockOwner.parse(JSON.parse(readFileSync(join(LOCK_DIR, "owner.json"), "utf8")));
    return alive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the lock, waiting up to waitMs for a live holder to finish; a holder
 * that died without stop() (SIGKILL) is cleaned up after first.
 */
async function takeLock(owner: LockOwner, log: (m: string) => void, waitMs = 15 * 60_000): Promise<void> {
  const deadline = Date.now() + waitMs;
  let said = false;
  for (let attempt = 0; attempt < 2; ) {
    try {
      mkdirSync(LOCK_DIR);
      writeFileSync(join(LOCK_DIR, "owner.json"), JSON.stringify(owner));
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let previous: LockOwner | undefined;
    try {
      previous = lockOwner.parse(JSON.parse(readFileSync(join(LOCK_DIR, "owner.json"), "utf8")));
    } catch {
      previous = undefined;
    }
    if (previous && alive(previous.pid)) {
      if (Date.now() > deadline) throw new Error(`another real node run holds ${LOCK_DIR} (pid ${previous.pid}, ${previous.work})`);
      if (!said) log(`waiting for the real node run of pid ${previous.pid} to finish (${LOCK_DIR})`);
      said = true;
      await sleep(1000);
      continue;
    }
    // between another run's mkdir and its owner.json: not stale, just young
    if (!previous && Date.now() - (statSync(LOCK_DIR, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 10_000) {
      await sleep(500);
      continue;
    }
    attempt++;
    if (previous) {
      log(`cleaning up after a real node run that died (pid ${previous.pid}, ${previous.work})`);
      await cleanUp(previous, undefined);
    }
    rmSync(LOCK_DIR, { recursive: true, force: true });
  }
  throw new Error(`could not take ${LOCK_DIR}`);
}

// ---- clean-up, shared by stop() and a stale lock ----------------------------

const cgroupHierarchies = () => readdirSync("/sys/fs/cgroup").map((d) => join("/sys/fs/cgroup", d)).filter((d) => statSync(d).isDirectory());

function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) removeCgroupTree(p);
  }
  rmdirSync(dir);
}

function mountsUnder(prefix: string): string[] {
  return readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean)
    .map((l) => l.split(" ")[4]!.replace(/\\040/g, " "))
    .filter((m) => m === prefix || m.startsWith(`${prefix}/`));
}

/**
 * Everything a run may leave when kubelet or containerd did not finish their
 * own clean-up: runtime processes, mounts under its dir, its bridge, its
 * cgroups, the CNI result cache entries of its network, host paths that did
 * not exist before it started (`before`, when known).
 */
async function cleanUp(owner: LockOwner, before: MachineState | undefined): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown> | void) => {
    try {
      await step();
    } catch (error) {
      problems.push(`${what}: ${(error as Error).message}`);
    }
  };
  // Shims daemonize out of containerd's process group; they name its socket (in the work dir).
  for (let round = 0; round < 3; round++) {
    const pids = processesMentioning(owner.work).map((l) => Number(l.split(" ")[0]));
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await sleep(300);
  }
  await attempt("unmount", async () => {
    for (const mount of mountsUnder(owner.work).sort((a, b) => b.length - a.length)) {
      await sh("umount", [mount]).catch(() => sh("umount", ["-l", mount]));
    }
  });
  await attempt(`delete bridge ${owner.bridge}`, async () => {
    if ((await sh("ip", ["-o", "link", "show"])).includes(` ${owner.bridge}:`)) await sh("ip", ["link", "del", owner.bridge]);
  });
  await attempt("remove cgroups", async () => {
    for (let round = 0; ; round++) {
      try {
        for (const h of cgroupHierarchies()) removeCgroupTree(join(h, owner.cgroupName));
        return;
      } catch (error) {
        // a cgroup whose last task is still exiting is busy for a moment
        if (round >= 20) throw error;
        await sleep(250);
      }
    }
  });
  await attempt("CNI result cache", () => {
    const results = "/var/lib/cni/results";
    if (!existsSync(results)) return;
    for (const f of readdirSync(results)) if (f.startsWith(`${networkName(owner.bridge)}-`)) rmSync(join(results, f), { force: true });
  });
  if (before) {
    // containerd 1.6 keeps shim sockets in /run/containerd/s and libcni its cache in /var/lib/cni whatever their config says.
    await attempt("host paths", () => {
      for (const path of ["/run/containerd", "/var/lib/cni/results", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/var/lib/kubelet"]) {
        const existed = before["paths"]?.includes(path) ?? true;
        if (!existed && existsSync(path)) rmSync(path, { recursive: true, force: true });
      }
    });
  }
  return problems;
}

const networkName = (bridge: string) => `podgate-${bridge}`;

// ---- start -----------------------------------------------------------------

async function pickSubnet(): Promise<number> {
  const used = (await sh("ip", ["-o", "addr", "show"])) + (await sh("ip", ["route", "show", "table", "all"]));
  for (let i = 0; i < 64; i++) {
    const n = 1 + Math.floor(Math.random() * 254);
    if (!used.includes(`198.18.${n}.`)) return n;
  }
  throw new Error("no free /24 in 198.18.0.0/15 (RFC 2544, reserved for tests)");
}

function containerdConfig(dir: string, netConfDir: string): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[${cri}]
  # no registry is reachable: the sandbox image is the one images.sh built
  sandbox_image = "${REAL_NODE_IMAGES.pause}"
  # root here lacks CAP_SYS_RESOURCE: runc's nsexec cannot lower oom_score_adj
  # ("can't get final child's PID from pipe: EOF") unless it is kept >= ours
  restrict_oom_score_adj = true
  # pods' network namespaces in our state dir, not /run/netns
  netns_mounts_under_state_dir = true
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        # cgroup v1 (hybrid) with kubelet's cgroupfs driver
        SystemdCgroup = false
        Root = "${dir}/runc"
  [${cri}.cni]
    bin_dir = "${CNI_BIN}"
    conf_dir = "${netConfDir}"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
`;
}

/**
 * Starts the real node and resolves once it is Ready. `plane` must be up;
 * the node joins it as REAL_NODE_NAME with REAL_NODE_TAINT.
 */
export async function startRealNode(work: string, sup: Supervisor, plane: ControlPlane, log: (m: string) => void): Promise<RealNode> {
  const t0 = performance.now();
  const timings: Record<string, number> = {};
  const mark = (what: string) => (timings[what] = Math.round(performance.now() - t0));
  const dir = join(work, "realnode");
  const id = Math.random().toString(16).slice(2, 8);
  const bridge = `pgb-${id}`;
  const cgroupName = `podgate-${id}`;
  const owner: LockOwner = { pid: process.pid, work: dir, bridge, cgroupName };
  await takeLock(owner, log);
  const before = await readMachineState(dir);
  mark("machine state read");
  const core = plane.kubeConfig.makeApiClient(CoreV1Api);
  let started = false;
  let relay: Server | undefined;

  const stop = async () => {
    const problems: string[] = [];
    const t = performance.now();
    if (started) problems.push(...(await drain(core, sup, dir, log)));
    await new Promise((resolve) => (relay ? relay.close(resolve) : resolve(undefined)));
    await sup.stopOne("containerd");
    problems.push(...(await cleanUp(owner, before)));
    const after = await readMachineState(dir);
    rmSync(LOCK_DIR, { recursive: true, force: true });
    const diff = diffMachineState(before, after);
    log(`real node torn down in ${Math.round(performance.now() - t)} ms; machine ${diff.length === 0 ? "as found" : `CHANGED (${diff.length} lines)`}`);
    if (problems.length > 0 || diff.length > 0) {
      throw new Error(`the real node's teardown left the machine changed:\n${[...problems, ...diff].map((l) => `  ${l}`).join("\n")}`);
    }
  };

  try {
    // -- network: a bridge of our own in 198.18.0.0/15 (reserved for tests);
    // no gateway, no masquerade, no route out: neither ip_forward nor NAT is touched.
    const n = await pickSubnet();
    const ip = `198.18.${n}.1`;
    const subnet = `198.18.${n}.0/24`;
    await sh("ip", ["link", "add", "name", bridge, "type", "bridge"]);
    await sh("ip", ["addr", "add", `${ip}/24`, "dev", bridge]);
    await sh("ip", ["link", "set", bridge, "up"]);
    const netConfDir = join(dir, "net.d");
    mkdirSync(netConfDir, { recursive: true });
    writeFileSync(join(netConfDir, "10-podgate.conflist"), JSON.stringify({
      cniVersion: "1.0.0",
      name: networkName(bridge),
      plugins: [{
        type: "bridge", bridge, isGateway: false, ipMasq: false, hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet, rangeStart: `198.18.${n}.16`, rangeEnd: `198.18.${n}.254` }]], dataDir: join(dir, "ipam") },
      }],
    }, null, 2));
    mark("bridge");
    log(`bridge ${bridge} ${ip}/24 (no route, NAT or DNS out)`);

    // -- containerd, private root/state/socket; the images built by images.sh
    const cdir = join(dir, "containerd");
    mkdirSync(cdir, { recursive: true });
    const configPath = join(cdir, "config.toml");
    writeFileSync(configPath, containerdConfig(cdir, netConfDir));
    const socket = join(cdir, "containerd.sock");
    sup.start("containerd", "containerd", ["--config", configPath, "--log-level", "info"]);
    await waitFor("containerd's socket", 30_000, async () => (await sh("ctr", ["--address", socket, "version"])).includes("Server"), () => sup.assertAlive());
    const podgateTar = join(imagesDir(), "podgate.tar");
    const podgateImage = existsSync(podgateTar);
    for (const f of IMAGE_FILES) await sh("ctr", ["--address", socket, "-n", "k8s.io", "images", "import", join(imagesDir(), `${f}.tar`)]);
    // podgate's 230 MB unpack overlaps kubelet's start; awaited before the node is handed over.
    const podgateImport = podgateImage ? sh("ctr", ["--address", socket, "-n", "k8s.io", "images", "import", podgateTar]) : Promise.resolve("");
    podgateImport.catch(() => undefined);
    mark("containerd ready, images imported");
    log(`containerd ready (${socket}); imported ${Object.values(REAL_NODE_IMAGES).join(", ")}${podgateImage ? `; importing ${PODGATE_IMAGE}` : ""}`);

    // Pods reach the apiserver through a relay on the bridge address: it
    // listens on loopback only, and no kube-proxy routes the kubernetes
    // Service's ClusterIP. TLS passes through untouched.
    const api = new URL(plane.apiUrl);
    relay = createServer((client) => {
      const upstream = connect(Number(api.port), api.hostname);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
    await new Promise<void>((resolve, reject) => relay!.once("error", reject).listen(API_RELAY_PORT, ip, resolve));

    // -- cgroups: a root of our own in every hierarchy (kubelet wants it to
    // exist; cgroup v1 cpuset children need cpus/mems before tasks can join)
    for (const h of cgroupHierarchies()) {
      const cg = join(h, cgroupName);
      mkdirSync(cg);
      if (h.endsWith("/cpuset")) {
        for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(cg, f), readFileSync(join(h, f), "utf8").trim() || "0");
      }
    }

    // -- kubelet
    const root = join(dir, "kubelet");
    const scratch = join(dir, "sysctl");
    const podLogs = join(dir, "pod-logs");
    for (const d of [root, scratch, podLogs]) mkdirSync(d, { recursive: true });
    for (const s of KUBELET_SYSCTLS) writeFileSync(join(scratch, s.replaceAll("/", ".")), readFileSync(join("/proc/sys", s), "utf8"));
    // no cluster DNS and not the machine's resolver: pods get a resolv.conf
    // without a nameserver, so no DNS query can leave the machine. It must
    // say something: given no DNS settings at all, containerd copies the
    // machine's /etc/resolv.conf into the sandbox.
    const resolvConf = join(dir, "resolv.conf");
    writeFileSync(resolvConf, "# podgate e2e real node: no nameserver on purpose\noptions ndots:1\n");
    const credentials = await createNodeCredentials(plane.pki, REAL_NODE_NAME);
    const kubeconfig = join(dir, "kubelet.kubeconfig");
    writeFileSync(kubeconfig, stringify({
      apiVersion: "v1", kind: "Config",
      clusters: [{ name: "e2e", cluster: { server: plane.apiUrl, "certificate-authority": plane.pki.caCert } }],
      users: [{ name: "kubelet", user: { "client-certificate": credentials.cert, "client-key": credentials.key } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "kubelet" } }],
      "current-context": "e2e",
    }), { mode: 0o600 });
    const [port, healthzPort] = await Promise.all([freePort(), freePort()]);
    const config = join(dir, "kubelet.yaml");
    writeFileSync(config, stringify({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      address: ip,
      port,
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: plane.pki.caCert } },
      authorization: { mode: "Webhook" },
      containerRuntimeEndpoint: `unix://${socket}`,
      // cgroups are v1 (hybrid) here: kubelet 1.36 refuses them unless told,
      // and containerd's runc uses cgroupfs, so kubelet must too
      failCgroupV1: false,
      cgroupDriver: "cgroupfs",
      cgroupRoot: `/${cgroupName}`,
      failSwapOn: false,
      resolvConf,
      clusterDomain: "cluster.local",
      podLogsDir: podLogs,
      // no iptables chains of kubelet's on the machine
      makeIPTablesUtilChains: false,
      registerWithTaints: [REAL_NODE_TAINT],
      // no registry to pull from again: never collect the imported images, never evict for a full-ish disk
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      evictionHard: { "memory.available": "50Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%" },
      serializeImagePulls: false,
      // Pods are re-synced (and their ConfigMap volumes refreshed) every 10 s, not every minute: the e2e
      // waits for an edited ConfigMap to reach podgate's pods.
      syncFrequency: "10s",
    }));
    // kubelet's own mount namespace: scratch files over the sysctls it would
    // rewrite, tmpfs over /var/log (it keeps /var/log/containers symlinks
    // there) and /var/lib/kubelet, every mount made a slave so none of that reaches the machine —
    // except its root dir, a shared bind mount, so the volumes it mounts
    // there (service-account tokens) reach containerd.
    await sh("mount", ["--bind", root, root]);
    await sh("mount", ["--make-shared", root]);
    const script = [
      "set -e",
      `awk '{print $5}' /proc/self/mountinfo | grep -v '^${root}' | while read -r m; do mount --make-slave "$m" 2>/dev/null || true; done`,
      ...KUBELET_SYSCTLS.map((s) => `mount --bind '${join(scratch, s.replaceAll("/", "."))}' '/proc/sys/${s}'`),
      "mount -t tmpfs -o size=16m,mode=0755 podgate-kubelet-varlog /var/log",
      // the device manager's socket path is fixed (/var/lib/kubelet/device-plugins)
      "if [ -d /var/lib/kubelet ]; then mount -t tmpfs -o size=16m podgate-kubelet-varlib /var/lib/kubelet; else mount -t tmpfs -o size=16m podgate-kubelet-varlib /var/lib; fi",
      `exec '${join(binDir(), "kubelet")}' "$@"`,
    ].join("\n");
    sup.start("kubelet", "unshare", [
      "--mount", "--propagation", "unchanged", "--", "/bin/sh", "-c", script, "kubelet",
      `--config=${config}`, `--kubeconfig=${kubeconfig}`, `--root-dir=${root}`, `--cert-dir=${join(dir, "kubelet-pki")}`,
      `--hostname-override=${REAL_NODE_NAME}`, `--node-ip=${ip}`,
      `--node-labels=${REAL_NODE_LABEL.key}=${REAL_NODE_LABEL.value},topology.kubernetes.io/zone=zone-real`,
      "--v=2",
    ]);
    started = true;
    await waitFor("the real node Ready", 90_000, async () => {
      const node: V1Node = await core.readNode({ name: REAL_NODE_NAME });
      return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
    }, () => sup.assertAlive(), 200);
    mark("node Ready");
    log(`real node ${REAL_NODE_NAME} Ready at ${ip} (kubelet :${port}) in ${timings["node Ready"]} ms`);
    await podgateImport;
    if (podgateImage) mark("podgate image imported");
    return { name: REAL_NODE_NAME, ip, bridge, subnet, apiserver: `${ip}:${API_RELAY_PORT}`, podgateImage, timings, stop };
  } catch (error) {
    try {
      await stop();
    } catch (teardown) {
      log(`(teardown after a failed start) ${(teardown as Error).message}`);
    }
    throw error;
  }
}

/**
 * Workloads go before kubelet stops (or their sandboxes, network namespaces
 * and shims outlive it): force-delete every pod bound to the node, wait for
 * kubelet to stop their containers, then stop kubelet and remove whatever
 * containerd still runs.
 */
async function drain(core: CoreV1Api, sup: Supervisor, dir: string, log: (m: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const socket = join(dir, "containerd", "containerd.sock");
  const ctr = (...args: string[]) => sh("ctr", ["--address", socket, "-n", "k8s.io", ...args]);
  const tasks = async () => (await ctr("tasks", "ls")).split("\n").slice(1).filter((l) => /RUNNING|CREATED|PAUSED/.test(l)).map((l) => l.split(/\s+/)[0]!);
  try {
    const pods = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${REAL_NODE_NAME}` });
    await Promise.all(pods.items.map((p) => core.deleteNamespacedPod({ name: p.metadata!.name!, namespace: p.metadata!.namespace!, gracePeriodSeconds: 0 }).catch(() => undefined)));
    await waitFor("kubelet to stop the real node's containers", 60_000, async () => (await tasks()).length === 0, undefined, 500);
  } catch (error) {
    problems.push(`draining the real node: ${(error as Error).message}`);
  }
  await sup.stopOne("kubelet");
  try {
    for (const task of await tasks()) {
      log(`containerd task ${task} outlived kubelet; killing it`);
      await ctr("tasks", "kill", "-s", "SIGKILL", task).catch(() => undefined);
      await ctr("tasks", "delete", "-f", task).catch(() => undefined);
    }
  } catch (error) {
    problems.push(`listing containerd tasks: ${(error as Error).message}`);
  }
  return problems;
}

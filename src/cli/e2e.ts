// podgate e2e [files…]: the project's e2e tests against a real cluster
// started for the run (podgate/harness's startCluster: the local control
// plane, or kind with --kind): node --test runs the
// files with $PODGATE_E2E_CLUSTER naming the cluster, so connectCluster()
// reaches it. On a failure it prints the stage timeline of every pod in the
// namespaces the tests made, then tears everything down.
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { Watch, type V1Namespace } from "@kubernetes/client-node";
import { loadConfig } from "../config/default.ts";
import { CLUSTER_VARIABLE, E2E_NAMESPACE_LABEL, startCluster, writeClusterHandle, type Cluster } from "../harness/cluster.ts";
import { PodRecorder } from "../harness/recorder.ts";
import { formatTimeline } from "../harness/timeline.ts";
import { registry } from "../wiring.ts";

const DEFAULT_FILES = "e2e/**/*.test.ts";

/** Records the pods of every namespace the tests make (the helpers label them). */
async function recordTestNamespaces(cluster: Cluster): Promise<{ recorders: Map<string, PodRecorder>; stop(): void }> {
  const recorders = new Map<string, PodRecorder>();
  const request = await new Watch(cluster.kubeConfig).watch("/api/v1/namespaces", { labelSelector: `${E2E_NAMESPACE_LABEL}=true` }, (type: string, ns: V1Namespace) => {
    const name = ns.metadata?.name;
    if (type !== "ADDED" || !name || recorders.has(name)) return;
    // Best effort: a namespace deleted before its watch starts has nothing to show.
    void PodRecorder.start(cluster.kubeConfig, name, cluster.podgate.logFile).then((r) => recorders.set(name, r), () => undefined);
  }, () => undefined);
  return { recorders, stop: () => { request.abort(); for (const r of recorders.values()) r.stop(); } };
}

function workers(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new InvalidArgumentError("expected 1..5 worker nodes");
  return n;
}

function runTests(files: readonly string[], env: NodeJS.ProcessEnv, interruption: Interruption): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--test", "--test-concurrency=1", "--test-reporter=spec", ...files], { stdio: "inherit", env });
    interruption.onSignal = (signal) => child.kill(signal);
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * SIGINT or SIGTERM: the tests are stopped and the cluster torn down once
 * the step under way ends (a kind cluster half made is deleted whole); a
 * second signal leaves at once, with whatever runs left running.
 */
class Interruption {
  signal: NodeJS.Signals | undefined;
  onSignal: (signal: NodeJS.Signals) => void = () => {};
  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.signal) {
      process.stderr.write(`[podgate e2e] ${signal} again: leaving without tearing down\n`);
      process.exit(130);
    }
    this.signal = signal;
    process.stderr.write(`[podgate e2e] ${signal}: stopping the tests and tearing the cluster down (${signal} again leaves it as it is)\n`);
    this.onSignal(signal);
  };
  constructor() {
    process.on("SIGINT", this.handler).on("SIGTERM", this.handler);
  }
  dispose(): void {
    process.off("SIGINT", this.handler).off("SIGTERM", this.handler);
  }
}

export function e2eCommand(): Command {
  return new Command("e2e")
    .description("Run the project's e2e tests against a real cluster (local control plane or kind) with this project's podgate in it")
    .argument("[files...]", `test files or globs for node --test (default: ${DEFAULT_FILES})`)
    .addOption(new Option("--local", "the local control plane: kube-apiserver, etcd, kube-controller-manager, kube-scheduler and kwok nodes on loopback (the default; built once from the Go module proxy, cached)").conflicts("kind"))
    .option("--kind", "a kind cluster whose nodes run the pods (kubelet, containerd); with a Docker engine, or offline as root (a private dockerd and node image built here)")
    .option("--workers <n>", "kind's worker nodes (with --kind; default 1)", workers)
    .option("-c, --config <file>", "the project's podgate config", "podgate.yaml")
    .option("--keep", "keep the work directory (kubeconfig, certificates, every component's log)")
    .addHelpText(
      "after",
      `
The tests reach the cluster with connectCluster() from "podgate/harness": a
kubeconfig, a typed client, and helpers (namespace, createPod … until
scheduled/running/unschedulable, expectDenied, schedulingFailure,
labelNodes, timeline). podgate serves the config with its webhooks
registered (as \`podgate export webhooks\` writes them) and its extender in
kube-scheduler (as \`podgate scheduler-config\` writes it). With --kind,
podgate serves on this machine at the kind network's gateway; pods that
must reach Running use cluster.image (kind offline has no registry).

Exit codes: 0 the tests passed, 1 a test failed or the cluster did not start, 2 bad flags.

Examples:
  podgate e2e
  podgate e2e --kind
  podgate e2e e2e/team-label.test.ts --keep`,
    )
    .action(async (files: string[], flags: { config: string; keep?: boolean; kind?: boolean; workers?: number }, command: Command) => {
      if (flags.workers !== undefined && !flags.kind) command.error("error: --workers is kind's: add --kind", { exitCode: 2 });
      // A config serve would refuse is refused before anything is built or started: exit 2, naming the key.
      (await loadConfig({ path: flags.config }, registry)).retire();
      const interruption = new Interruption();
      const cluster = await startCluster({ config: flags.config, keep: flags.keep === true, ...(flags.kind ? { on: "kind", workers: flags.workers ?? 1 } : {}) });
      const handle = join(tmpdir(), `podgate-e2e-${process.pid}.json`);
      let code = 1;
      try {
        await writeClusterHandle(handle, cluster);
        const recording = await recordTestNamespaces(cluster);
        if (!interruption.signal) code = await runTests(files.length > 0 ? files : [DEFAULT_FILES], { ...process.env, [CLUSTER_VARIABLE]: handle, KUBECONFIG: cluster.kubeconfig }, interruption);
        if (code !== 0 && !interruption.signal) {
          for (const [namespace, recorder] of recording.recorders) {
            const rows = await recorder.rows();
            if (rows.length > 0) process.stderr.write(`\n[podgate e2e] pods in ${namespace} (ms after the client's create; podgate's log: ${cluster.podgate.logFile})\n${formatTimeline(rows)}\n`);
          }
        }
        recording.stop();
      } finally {
        await cluster.stop();
        await rm(handle, { force: true });
        interruption.dispose();
      }
      process.exitCode = interruption.signal ? 130 : code === 0 ? 0 : 1;
    });
}

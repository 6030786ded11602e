// `npm run cluster`: the local control plane with podgate, left up until
// Ctrl-C, so a user can try podgate with their own kubectl.
import { setTimeout as sleep } from "node:timers/promises";
import { INJECT_LABEL } from "./webhooks.ts";
import { withHarness, type Harness } from "./harness.ts";
import { readRealNodeMode, realNodePreflight } from "./realnode.ts";
import { commandLine } from "../support/command-line.ts";

commandLine(
  `usage: npm run cluster
Starts the local control plane (kube-apiserver, etcd, kube-scheduler, kube-controller-manager,
kwok nodes) with podgate's webhooks and extender, prints a KUBECONFIG to use with kubectl, and
keeps it all up until Ctrl-C. With PODGATE_REAL_NODE=1 (or auto, as root with containerd
installed) a real kubelet + containerd node joins too.`,
  {},
);

const mode = readRealNodeMode();
const realNode = mode === "1" || (mode === "auto" && realNodePreflight() === undefined);
try {
  await withHarness({ realNode }, (h) => holdOpen(h));
} catch (error) {
  // withHarness has torn everything down and printed the components' logs.
  process.stderr.write(`cluster: ${(error as Error).message}\n`);
  process.exitCode = 1;
}

async function holdOpen(h: Harness): Promise<never> {
  process.stdout.write(
    [
      "",
      "podgate e2e cluster is up (Ctrl-C tears it down):",
      `  export KUBECONFIG=${h.plane.kubeconfig}`,
      "  kubectl get nodes -L topology.kubernetes.io/zone",
      `  kubectl create namespace demo && kubectl label namespace demo ${INJECT_LABEL.key}=${INJECT_LABEL.value}`,
      "  kubectl -n demo run web --image=nginx:1.27 && kubectl -n demo get pod web -o yaml",
      ...(h.realNode ? [`real node: ${h.realNode.name} at ${h.realNode.ip} (bridge ${h.realNode.bridge}; pods must tolerate podgate.dev/real-node)`] : []),
      `podgate: ${h.podgate.url} (log ${h.podgate.logFile}, metrics ${h.podgate.metricsUrl})`,
      `logs of every component: ${h.work}/*.log`,
      `startup (ms since start): ${JSON.stringify(h.timings)}`,
      "",
    ].join("\n"),
  );
  for (;;) {
    h.supervisor.assertAlive();
    await sleep(2000);
  }
}

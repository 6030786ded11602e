// The extender's API connection drops under load: podgate in node-cache mode
// against a real kube-apiserver, which is stopped and started again. The
// extender must keep answering from its cache, report staleness in the
// metric and (past staleAfterSeconds) in /readyz, and resync on return.
import { readFileSync } from "node:fs";
import { post } from "../../src/harness/https.ts";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { controlPlaneBin, startControlPlane } from "./apiserver.ts";
import { runLoad } from "./load.ts";
import { startPodgate } from "./podgate.ts";
import { podgateConfig, type ScenarioResult } from "./scenarios.ts";

const STALE_AFTER_SECONDS = 3;
const pod = (JSON.parse(readFileSync(new URL("../fixtures/extender/filter-nodenames.json", import.meta.url), "utf8")) as { Pod: unknown }).Pod;
const filterBody = (names: string[]) => JSON.stringify({ Pod: pod, NodeNames: names });
const node = (name: string) => ({
  metadata: { name, labels: { "kubernetes.io/hostname": name, "topology.kubernetes.io/zone": "zone-a" } },
  status: { capacity: { cpu: "8", memory: "16Gi", pods: "110" }, allocatable: { cpu: "8", memory: "16Gi", pods: "110" } },
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const getText = async (url: string) => (await fetch(url)).text();

async function filter(url: string, ca: string, names: string[]): Promise<{ status: number; passed: string[] }> {
  const reply = await post(new URL("/extender/filter", url).href, ca, filterBody(names));
  return { status: reply.status, passed: (JSON.parse(reply.text) as { NodeNames?: string[] }).NodeNames ?? [] };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return performance.now() - started;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

const staleGauge = (text: string) => Number(/^podgate_extender_cache_stale_seconds (\S+)$/m.exec(text)?.[1] ?? Number.NaN);

export async function apiDrop(dir: string, outageSeconds = 8): Promise<ScenarioResult> {
  const bin = controlPlaneBin();
  if (!bin) {
    return { name: "extender API drop", sent: 0, failed: 0, rssStartMiB: 0, rssEndMiB: 0, notes: "skipped: no etcd/kube-apiserver (run controlplane/build.sh or set PODGATE_CP_BIN)", passed: true, problems: [] };
  }
  const plane = await startControlPlane(bin, join(dir, "controlplane"));
  const problems: string[] = [];
  try {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(plane.kubeconfig);
    const api = kubeConfig.makeApiClient(CoreV1Api);
    const names = ["node-1", "node-2", "node-3"];
    for (const name of names) await api.createNode({ body: node(name) });
    const config = podgateConfig(dir, {}, { nodeCacheCapable: true, kubeconfig: plane.kubeconfig, staleAfterSeconds: STALE_AFTER_SECONDS, preempt: true });
    const podgate = await startPodgate({ dir: join(dir, "podgate"), config });
    try {
      await until("podgate ready (cache synced)", async () => (await podgate.readyz()).status === 200, 30_000);
      const rss = podgate.rssMiB();
      const before = await filter(podgate.url, podgate.ca, names);
      if (before.passed.length !== 3) problems.push(`before the drop, filter passed ${before.passed.join(",") || "nothing"}`);
      const load = runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 4, durationMs: (outageSeconds + 10) * 1000, calls: [{ path: "/extender/filter", body: filterBody(names) }] });
      await sleep(2000);
      await plane.stopApiserver();
      const notReadyMs = await until("/readyz to report the lost API", async () => {
        const { status, text } = await podgate.readyz();
        return status === 503 && text.includes("lost the Kubernetes API");
      }, 30_000);
      const during = await filter(podgate.url, podgate.ca, names);
      if (during.status !== 200 || during.passed.length !== 3) problems.push(`during the drop, filter answered ${during.status} passing ${during.passed.join(",") || "nothing"}`);
      const stale = staleGauge(await getText(podgate.metricsUrl!));
      if (!(stale > 0)) problems.push(`podgate_extender_cache_stale_seconds was ${stale} during the drop`);
      await sleep(Math.max(0, outageSeconds * 1000 - notReadyMs));
      await plane.startApiserver();
      await api.createNode({ body: node("node-4") });
      const resyncMs = await until("readiness and node-4 after the API returned", async () => {
        const ready = (await podgate.readyz()).status === 200;
        return ready && (await filter(podgate.url, podgate.ca, ["node-4"])).passed.includes("node-4");
      }, 60_000);
      // A freshly started apiserver may end a watch or two while its caches warm up: allow it to settle.
      await until("the stale gauge back at 0", async () => staleGauge(await getText(podgate.metricsUrl!)) === 0, 30_000).catch((error: Error) => problems.push(error.message));
      const result = await load;
      if (result.failed > 0) problems.push(`${result.failed} filter calls failed: ${JSON.stringify(result.errors)}`);
      const notes = `API down ${outageSeconds} s: /readyz 503 after ${(notReadyMs / 1000).toFixed(1)} s (staleAfterSeconds ${STALE_AFTER_SECONDS}); stale gauge ${stale.toFixed(1)} s mid-outage; cache answered throughout; ready + new node seen ${(resyncMs / 1000).toFixed(1)} s after the API returned`;
      return { name: "extender API drop", sent: result.sent, failed: result.failed, rssStartMiB: Math.round(rss * 10) / 10, rssEndMiB: Math.round(podgate.rssMiB() * 10) / 10, notes, passed: problems.length === 0, problems };
    } finally {
      await podgate.stop();
    }
  } finally {
    await plane.stop();
  }
}

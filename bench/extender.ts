// Extender cost per call, in process: JSON.parse of the body, zod
// validation, the verb with the default plugins, JSON.stringify of the
// reply — what a route does minus TLS and HTTP. Node-cache mode (NodeNames)
// and full-NodeList mode, against the baseline of only parsing the body and
// serializing the same reply. Run: node bench/extender.ts [--quick]; bench/run.ts
// runs it as part of `npm run bench`.
import { ModuleLoader } from "../src/toolkit/modules.ts";
import { NodeCache } from "../extender/cache/node-cache.ts";
import { registry } from "../src/wiring.ts";
import { extenderSection } from "../extender/config.ts";
import { NodeMemo } from "../extender/nodeinfo.ts";
import { filter, prioritize, type ExtenderDeps } from "../extender/verbs.ts";
import { extenderArgs, parseWire } from "../extender/wire.ts";

const SIZES = [100, 1000, 5000];
const PODS_PER_NODE = 20;

const framework = extenderSection(registry.plugins).schema({ baseDir: process.cwd(), modules: new ModuleLoader() }).parse({}).framework;

function makeNode(i: number) {
  const name = `node-${String(i).padStart(5, "0")}`;
  const cpu = i % 10 === 0 ? "2" : "16";
  return {
    metadata: {
      name,
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      resourceVersion: String(1000 + i),
      creationTimestamp: "2026-01-01T00:00:00Z",
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "m5.4xlarge", "topology.kubernetes.io/region": "eu-west-1", "topology.kubernetes.io/zone": `eu-west-1${"abc"[i % 3]}` },
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true" },
    },
    spec: { podCIDR: `10.${(i >> 8) & 255}.${i & 255}.0/24`, providerID: `aws:///eu-west-1a/i-${i.toString(16).padStart(17, "0")}` },
    status: {
      capacity: { cpu, memory: "64Gi", pods: "110", "ephemeral-storage": "100Gi" },
      allocatable: { cpu, memory: "62Gi", pods: "110", "ephemeral-storage": "95Gi" },
      conditions: ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"].map((type) => ({ type, status: type === "Ready" ? "True" : "False", lastHeartbeatTime: "2026-01-01T00:00:00Z", lastTransitionTime: "2026-01-01T00:00:00Z", reason: `Kubelet${type}`, message: `kubelet reports ${type}` })),
      addresses: [{ type: "InternalIP", address: `10.0.${(i >> 8) & 255}.${i & 255}` }, { type: "Hostname", address: name }],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: { machineID: "m", systemUUID: "s", bootID: "b", kernelVersion: "6.1.0", osImage: "Linux", containerRuntimeVersion: "containerd://2.0.0", kubeletVersion: "v1.34.0", kubeProxyVersion: "", operatingSystem: "linux", architecture: "amd64" },
      images: [{ names: ["registry.k8s.io/pause:3.10"], sizeBytes: 320000 }],
    },
  };
}

const pod = {
  metadata: { name: "web-abc", namespace: "shop", uid: "pod-uid", annotations: { "sidecar.podgate.io/status": JSON.stringify({ templates: ["proxy"], native: true, containers: [], initContainers: ["podgate-proxy"] }) }, ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "web", uid: "rs-web", controller: true }] },
  spec: {
    initContainers: [{ name: "podgate-proxy", image: "proxy", restartPolicy: "Always", resources: { requests: { cpu: "100m", memory: "64Mi" } } }],
    containers: [{ name: "app", image: "web", resources: { requests: { cpu: "1500m", memory: "1Gi" } } }],
  },
};

function cacheFor(nodes: ReturnType<typeof makeNode>[]): NodeCache {
  const cache = new NodeCache();
  for (const node of nodes) {
    cache.upsertNode(node);
    for (let p = 0; p < PODS_PER_NODE; p++) {
      cache.upsertPod({
        metadata: { uid: `${node.metadata.name}-${p}`, name: `p${p}`, namespace: "default", ownerReferences: [{ uid: p % 4 === 0 ? "rs-web" : `rs-${p}`, controller: true }] },
        spec: { nodeName: node.metadata.name, containers: [{ resources: { requests: { cpu: "50m", memory: "256Mi" } } }] },
      });
    }
  }
  return cache;
}

function median(fn: () => void, runs: number): number {
  for (let i = 0; i < Math.min(5, runs); i++) fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** What the route does, minus the socket. */
function call(verb: typeof filter | typeof prioritize, deps: ExtenderDeps, body: string): string {
  const parsed = parseWire(extenderArgs, JSON.parse(body));
  if (!parsed.ok) throw new Error(parsed.message);
  return JSON.stringify(verb(deps, parsed.value).result);
}

/** Median milliseconds per call at one cluster size. */
export interface ExtenderRow {
  readonly nodes: number;
  readonly passed: number;
  readonly cacheBodyBytes: number;
  readonly cacheFilterMs: number;
  readonly cachePrioritizeMs: number;
  readonly fullBodyBytes: number;
  readonly fullFilterMs: number;
  readonly fullFilterColdMs: number;
  readonly baselineFilterMs: number;
  readonly fullPrioritizeMs: number;
  readonly baselinePrioritizeMs: number;
}

export function runExtenderBench(quick: boolean): ExtenderRow[] {
  const rows: ExtenderRow[] = [];
  for (const size of SIZES) {
    const runs = quick ? 5 : size >= 5000 ? 30 : size >= 1000 ? 100 : 300;
    const nodes = Array.from({ length: size }, (_, i) => makeNode(i));
    const deps: ExtenderDeps = { framework, cache: cacheFor(nodes), nodes: new NodeMemo(), onPluginError: (_verb, e) => { throw e; } };
    const names = nodes.map((n) => n.metadata.name);

    const cacheFilterBody = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: names });
    const survivors = (JSON.parse(call(filter, deps, cacheFilterBody)) as { NodeNames: string[] }).NodeNames;
    const cachePrioritizeBody = JSON.stringify({ Pod: pod, Nodes: null, NodeNames: survivors });
    const cacheFilter = median(() => call(filter, deps, cacheFilterBody), runs);
    const cachePrioritize = median(() => call(prioritize, deps, cachePrioritizeBody), runs);

    const fullFilterBody = JSON.stringify({ Pod: pod, Nodes: { metadata: {}, items: nodes }, NodeNames: null });
    const fullPassed = new Set(survivors);
    const fullPrioritizeBody = JSON.stringify({ Pod: pod, Nodes: { metadata: {}, items: nodes.filter((n) => fullPassed.has(n.metadata.name)) }, NodeNames: null });
    const fullDeps: ExtenderDeps = { ...deps, cache: undefined };
    const fullFilter = median(() => call(filter, fullDeps, fullFilterBody), runs);
    // Every Node new to the memo: the first call, or a cluster whose Nodes all changed since the last one.
    const fullFilterCold = median(() => call(filter, { ...fullDeps, nodes: new NodeMemo() }, fullFilterBody), runs);
    const fullPrioritize = median(() => call(prioritize, fullDeps, fullPrioritizeBody), runs);
    // Baseline: the least any extender must do — parse the body, serialize a reply of the same size.
    const baselineFilter = median(() => {
      const args = JSON.parse(fullFilterBody) as { Nodes: { items: { metadata: { name: string } }[] } };
      JSON.stringify({ Nodes: { items: args.Nodes.items.filter((n) => fullPassed.has(n.metadata.name)) }, FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error: "" });
    }, runs);
    const baselinePrioritize = median(() => {
      const args = JSON.parse(fullPrioritizeBody) as { Nodes: { items: { metadata: { name: string } }[] } };
      JSON.stringify(args.Nodes.items.map((n) => ({ Host: n.metadata.name, Score: 5 })));
    }, runs);

    rows.push({
      nodes: size,
      passed: survivors.length,
      cacheBodyBytes: cacheFilterBody.length,
      cacheFilterMs: cacheFilter,
      cachePrioritizeMs: cachePrioritize,
      fullBodyBytes: fullFilterBody.length,
      fullFilterMs: fullFilter,
      fullFilterColdMs: fullFilterCold,
      baselineFilterMs: baselineFilter,
      fullPrioritizeMs: fullPrioritize,
      baselinePrioritizeMs: baselinePrioritize,
    });
  }
  return rows;
}

export function extenderTable(rows: readonly ExtenderRow[]): string[][] {
  const ms = (n: number) => n.toFixed(3);
  return [
    ["nodes", "passed", "cache body", "cache filter ms", "cache prio ms", "full body", "full filter ms", "cold ms", "baseline ms", "ratio", "full prio ms", "baseline ms", "ratio"],
    ...rows.map((r) => [
      String(r.nodes),
      String(r.passed),
      `${(r.cacheBodyBytes / 1024).toFixed(0)} KiB`,
      ms(r.cacheFilterMs),
      ms(r.cachePrioritizeMs),
      `${(r.fullBodyBytes / 2 ** 20).toFixed(1)} MiB`,
      ms(r.fullFilterMs),
      ms(r.fullFilterColdMs),
      ms(r.baselineFilterMs),
      (r.fullFilterMs / r.baselineFilterMs).toFixed(2),
      ms(r.fullPrioritizeMs),
      ms(r.baselinePrioritizeMs),
      (r.fullPrioritizeMs / r.baselinePrioritizeMs).toFixed(2),
    ]),
  ];
}

if (import.meta.main) {
  const { formatTable } = await import("./report/table.ts");
  console.log(`extender bench (median ms per call, node ${process.version}, ${PODS_PER_NODE} pods per node in the cache)`);
  console.log(formatTable(extenderTable(runExtenderBench(process.argv.includes("--quick")))));
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { balancedAllocationScore, leastAllocatedScore } from "../../../extender/plugins/allocation.ts";
import { nodeRulesFilter, nodeRulesScore, nodeRulesSettings } from "../../../extender/plugins/node-rules.ts";
import { injectedNames, resourceFit, resourceFitSettings } from "../../../extender/plugins/resource-fit.ts";
import { zoneSpread, zoneSpreadSettings } from "../../../extender/plugins/zone-spread.ts";
import type { FilterPlugin, ScorePlugin } from "../../../extender/plugins/plugin.ts";
import { GiB, makeNode, makePod, type NodeSpec } from "./support.ts";

describe("resource-fit", () => {
  const plugin = resourceFit.create(resourceFitSettings.parse({})) as FilterPlugin;
  const pod = makePod({ cpu: "500m", memory: "1Gi", sidecarCpu: "200m", annotations: { "sidecar.podgate.io/status": JSON.stringify({ templates: ["proxy"], native: true, containers: [], initContainers: ["proxy"] }) } });
  const table: { node: NodeSpec; expect: "pass" | "fail" | "unresolvable"; reason?: RegExp }[] = [
    { node: { name: "roomy", cpu: "4" }, expect: "pass" },
    { node: { name: "exact", cpu: "700m", memory: "1Gi" }, expect: "pass" },
    { node: { name: "busy", cpu: "1", running: [["a", 0.4, 0]] }, expect: "fail", reason: /^Insufficient cpu: pod requests 700m \(200m by injected proxy\), node has 600m free of 1000m$/ },
    { node: { name: "tiny", cpu: "600m" }, expect: "unresolvable", reason: /Insufficient cpu/ },
    { node: { name: "no-memory-left", memory: "2Gi", running: [["a", 0, 1.5 * GiB]] }, expect: "fail", reason: /^Insufficient memory: pod requests 1Gi, node has 512Mi free of 2Gi$/ },
    { node: { name: "full", pods: "2", running: [["a", 0, 0], ["b", 0, 0]] }, expect: "fail", reason: /^Insufficient pods/ },
  ];
  for (const { node, expect, reason } of table) {
    it(`${expect}s on ${node.name}`, () => {
      const rejection = plugin.filter(pod, makeNode(node), new Map());
      if (expect === "pass") return assert.equal(rejection, undefined);
      assert.ok(rejection, "expected a rejection");
      assert.equal(rejection.unresolvable === true, expect === "unresolvable");
      if (reason) assert.match(rejection.reason, reason);
    });
  }
  it("counts 0.1 + 0.2 cores as fitting in 300m", () => {
    const p = makePod({ cpu: "200m", memory: "0" });
    assert.equal(plugin.filter(p, makeNode({ name: "n", cpu: "300m", running: [["a", 0.1, 0]] }), new Map()), undefined);
  });
  it("rejects, unresolvably, a node that does not offer an extended resource the pod requests", () => {
    const p = makePod();
    (p.requests.total as Record<string, number>)["example.com/gpu"] = 1;
    const rejection = plugin.filter(p, makeNode({ name: "n" }), new Map());
    assert.deepEqual(rejection, { reason: "Insufficient example.com/gpu: node does not offer example.com/gpu", unresolvable: true });
  });
  it("reads injected names from podgate's sidecar status or another injector's list", () => {
    assert.deepEqual(injectedNames('{"initContainers":["a"],"containers":["b"],"templates":[]}'), ["a", "b"]);
    assert.deepEqual(injectedNames("a, b"), ["a", "b"]);
    assert.deepEqual(injectedNames("{not json"), []);
    assert.deepEqual(injectedNames('{"containers":"x"}'), []);
  });
  it("skips ignored resources", () => {
    const lenient = resourceFit.create(resourceFitSettings.parse({ ignoredResources: ["cpu"] })) as FilterPlugin;
    assert.equal(lenient.filter(makePod({ cpu: "64" }), makeNode({ name: "n" }), new Map()), undefined);
  });
});

describe("node-rules", () => {
  const settings = nodeRulesSettings.parse({
    rules: [
      { namespaces: ["team-*"], requiredLabels: { pool: "teams" }, preferredLabels: [{ labels: { disk: "ssd" }, weight: 3 }, { labels: { arch: "arm64" }, weight: 1 }] },
    ],
    reservedTaints: [{ key: "dedicated", value: "gpu", namespaces: ["ml"] }],
  });
  const table: { ns: string; node: NodeSpec; expect: string | undefined }[] = [
    { ns: "team-a", node: { name: "n", labels: { pool: "teams" } }, expect: undefined },
    { ns: "team-a", node: { name: "n", labels: { pool: "batch" } }, expect: "node lacks label pool=teams required for namespace team-a (podgate rule)" },
    { ns: "other", node: { name: "n", labels: {} }, expect: undefined },
    { ns: "ml", node: { name: "n", taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }, expect: undefined },
    { ns: "web", node: { name: "n", taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] }, expect: "node is reserved for namespaces ml by taint dedicated=gpu (podgate rule; a toleration does not grant access)" },
    { ns: "web", node: { name: "n", taints: [{ key: "dedicated", value: "cpu", effect: "NoSchedule" }] }, expect: undefined },
  ];
  for (const { ns, node, expect } of table) {
    it(`${expect ? "rejects" : "passes"} a ${ns} pod on ${JSON.stringify(node.labels ?? node.taints)}`, () => {
      const rejection = nodeRulesFilter(settings, makePod({ namespace: ns }), makeNode(node));
      assert.equal(rejection?.reason, expect);
      if (expect) assert.equal(rejection?.unresolvable, true, "labels and reservations do not change by preemption");
    });
  }
  it("scores the share of preferred-label weight a node has", () => {
    const pod = makePod({ namespace: "team-a" });
    assert.equal(nodeRulesScore(settings, pod, makeNode({ name: "n", labels: { disk: "ssd", arch: "arm64" } })), 100);
    assert.equal(nodeRulesScore(settings, pod, makeNode({ name: "n", labels: { disk: "ssd" } })), 75);
    assert.equal(nodeRulesScore(settings, pod, makeNode({ name: "n", labels: { arch: "arm64" } })), 25);
    assert.equal(nodeRulesScore(settings, makePod({ namespace: "other" }), makeNode({ name: "n", labels: { disk: "ssd" } })), 0);
  });
  it("refuses a namespace pattern that is not a name", () => {
    assert.equal(nodeRulesSettings.safeParse({ rules: [{ namespaces: ["Team A"] }] }).success, false);
  });
});

describe("least-allocated and balanced-allocation", () => {
  const settings = { resources: [{ name: "cpu", weight: 1 }, { name: "memory", weight: 1 }] };
  const pod = makePod({ cpu: "1", memory: "1Gi" });
  const table: { node: NodeSpec; least: number; balanced: number }[] = [
    { node: { name: "empty", cpu: "4", memory: "4Gi" }, least: 75, balanced: 100 },
    { node: { name: "half", cpu: "4", memory: "4Gi", running: [["a", 1, GiB]] }, least: 50, balanced: 100 },
    { node: { name: "skewed", cpu: "4", memory: "4Gi", running: [["a", 3, 0]] }, least: 37.5, balanced: 62.5 },
    { node: { name: "over", cpu: "1", memory: "1Gi", running: [["a", 1, GiB]] }, least: 0, balanced: 100 },
  ];
  for (const { node, least, balanced } of table) {
    it(`scores ${node.name}: least ${least}, balanced ${balanced}`, () => {
      assert.equal(leastAllocatedScore(pod, makeNode(node), settings), least);
      assert.equal(balancedAllocationScore(pod, makeNode(node), settings), balanced);
    });
  }
  it("weights resources", () => {
    const skewed = makeNode({ name: "s", cpu: "4", memory: "4Gi", running: [["a", 3, 0]] });
    assert.equal(leastAllocatedScore(pod, skewed, { resources: [{ name: "cpu", weight: 3 }, { name: "memory", weight: 1 }] }), 18.75);
  });
});

describe("zone-spread", () => {
  const plugin = zoneSpread.create(zoneSpreadSettings.parse({})) as Required<ScorePlugin>;
  const zone = (z: string) => ({ "topology.kubernetes.io/zone": z });
  const nodes = [
    makeNode({ name: "a1", labels: zone("a"), running: [["x", 0, 0, "rs"], ["y", 0, 0, "rs"]] }),
    makeNode({ name: "a2", labels: zone("a"), running: [["z", 0, 0, "rs"], ["o", 0, 0, "other"]] }),
    makeNode({ name: "b1", labels: zone("b"), running: [["w", 0, 0, "rs"]] }),
    makeNode({ name: "c1", labels: zone("c") }),
  ];
  const scores = (pod = makePod({ owner: "rs" })) => {
    const state = new Map();
    plugin.preScore(pod, nodes, state);
    const raw = nodes.map((n) => plugin.score(pod, n, state));
    plugin.normalize(raw, state);
    return raw;
  };
  it("prefers the zones with fewest pods of the same controller", () => assert.deepEqual(scores(), [0, 0, 100 - 100 / 3, 100]));
  it("has no preference for a pod without a controller", () => assert.deepEqual(scores(makePod()), [100, 100, 100, 100]));
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { KubeApiError } from "../../../src/kube/errors.ts";
import { apiBinder, type BindingApi } from "../../../extender/bind.ts";
import { NodeCache } from "../../../extender/cache/node-cache.ts";
import { RecentPods } from "../../../extender/cache/recent-pods.ts";
import { NodeMemo } from "../../../extender/nodeinfo.ts";
import type { PluginError } from "../../../extender/framework.ts";
import { bind, filter, preempt, prioritize, type ExtenderDeps } from "../../../extender/verbs.ts";
import { extenderArgs, extenderPreemptionArgs, pod as podSchema, WireError } from "../../../extender/wire.ts";
import { fixture, section } from "./support.ts";

function deps(overrides: Partial<ExtenderDeps> = {}): ExtenderDeps & { errors: string[] } {
  const errors: string[] = [];
  return { framework: section().framework, nodes: new NodeMemo(), onPluginError: (verb: string, e: PluginError) => errors.push(`${verb}:${e.plugin}`), errors, ...overrides };
}

function cached(): NodeCache {
  const cache = new NodeCache();
  for (const n of fixture("nodes.json")) cache.upsertNode(n);
  const victim = (uid: string, nodeName: string, cpu: string) => ({ metadata: { uid, name: uid, namespace: "batch" }, spec: { nodeName, priority: -10, containers: [{ resources: { requests: { cpu } } }] } });
  cache.upsertPod(victim("victim-1", "node-a", "3500m"));
  cache.upsertPod(victim("victim-2", "node-a", "100m"));
  return cache;
}

describe("filter", () => {
  it("replies with the surviving Nodes in full-NodeList mode and a reason per failed node", () => {
    const { result, outcome } = filter(deps(), extenderArgs.parse(fixture("filter-nodelist.json")));
    assert.deepEqual(result.Nodes?.items.map((n: any) => n.metadata.name), ["node-a", "node-gpu"]);
    assert.equal(result.NodeNames, undefined, "the scheduler reads Nodes when it sent Nodes");
    assert.deepEqual(Object.keys(result.FailedAndUnresolvableNodes), ["node-small"]);
    assert.match(result.FailedAndUnresolvableNodes["node-small"]!, /^Insufficient cpu: pod requests 600m \(100m by injected podgate-proxy\)/);
    assert.equal(result.Error, "");
    assert.deepEqual(outcome, { nodesIn: 3, nodesPassed: 2 });
  });
  it("replies with NodeNames in node-cache mode, using the cache's requested resources; unknown names fail with a reason", () => {
    const { result } = filter(deps({ cache: cached() }), extenderArgs.parse(fixture("filter-nodenames.json")));
    assert.deepEqual(result.NodeNames, ["node-gpu"]);
    assert.match(result.FailedNodes["node-a"]!, /^Insufficient cpu: pod requests 600m .*node has 400m free of 4000m$/);
    assert.equal(result.FailedNodes["node-gone"], "node node-gone is not in podgate's node cache (not synced yet, or deleted)");
    assert.equal(result.Nodes, undefined);
  });
  it("fails names clearly without a cache, never crashing", () => {
    const { result } = filter(deps(), extenderArgs.parse({ Pod: {}, NodeNames: ["a"] }));
    assert.deepEqual(result.NodeNames, []);
    assert.match(result.FailedNodes["a"]!, /no node cache/);
  });
  it("puts a plugin's failure in Error, counted", () => {
    const d = deps();
    const broken = { ...d, framework: { ...d.framework, filters: [{ name: "broken", plugin: { filter: () => { throw new Error("boom"); } } }] } };
    const { result, outcome } = filter(broken, extenderArgs.parse(fixture("filter-nodelist.json")));
    assert.equal(result.Error, "plugin broken failed: boom");
    assert.equal(result.Nodes, undefined);
    assert.equal(outcome.error, "plugin broken failed: boom");
    assert.deepEqual(d.errors, ["filter:broken"]);
  });
  it("only ever returns a subset of its input, every input node accounted for once (property)", () => {
    const names = fc.uniqueArray(fc.constantFrom("node-a", "node-small", "node-gpu", "x", "y", "z"), { maxLength: 6 });
    fc.assert(
      fc.property(names, fc.integer({ min: 1, max: 4000 }), (nodeNames, milli) => {
        const pod = { metadata: { name: "p" }, spec: { containers: [{ resources: { requests: { cpu: `${milli}m` } } }] } };
        const { result } = filter(deps({ cache: cached() }), extenderArgs.parse({ Pod: pod, NodeNames: nodeNames }));
        const out = [...result.NodeNames!, ...Object.keys(result.FailedNodes), ...Object.keys(result.FailedAndUnresolvableNodes)];
        assert.deepEqual(out.sort(), [...nodeNames].sort());
      }),
    );
  });
});

describe("full-NodeList Nodes", () => {
  const args = (items: unknown[]) => extenderArgs.parse({ Pod: {}, Nodes: { items } });
  const node = (name: string, resourceVersion: string | undefined, cpu = "4") => ({ metadata: { name, ...(resourceVersion ? { resourceVersion } : {}) }, status: { allocatable: { cpu, memory: "1Gi", pods: "10" } } });
  it("names the field of a malformed Node", () => {
    assert.throws(
      () => filter(deps(), args([node("a", "1"), { metadata: { name: "b" }, status: { allocatable: { cpu: "four" } } }])),
      (e: Error) => e instanceof WireError && e.field === "Nodes.items[1].status.allocatable.cpu",
    );
    assert.throws(() => prioritize(deps(), args([{ metadata: {} }])), (e: Error) => e instanceof WireError && e.field === "Nodes.items[0].metadata.name");
  });
  it("decides on a Node's validated form while its resourceVersion stays, and re-reads it when it changes", () => {
    const d = deps();
    const big = (items: unknown[]) => extenderArgs.parse({ Pod: { spec: { containers: [{ resources: { requests: { cpu: "6" } } }] } }, Nodes: { items } });
    const passes = (n: unknown) => filter(d, big([n])).result.Nodes!.items.length === 1;
    assert.equal(passes(node("a", "1")), false);
    assert.equal(passes(node("a", "1", "8")), false, "same resourceVersion: the Node seen first");
    assert.equal(passes(node("a", "2", "8")), true);
    assert.equal(passes(node("b", undefined, "8")), true);
    assert.equal(d.nodes.size, 1, "nodes without a resourceVersion are not kept");
  });
  it("replies with the passing Nodes exactly as sent", () => {
    const sent = [node("a", "1"), { ...node("b", "1"), extra: { kept: true } }];
    assert.deepEqual(filter(deps(), args(sent)).result.Nodes!.items, sent);
  });
  it("forgets nodes it has not seen for a while", () => {
    const memo = new NodeMemo(2);
    const d = deps({ nodes: memo });
    filter(d, args([node("a", "1")]));
    for (let i = 0; i < 6; i++) filter(d, args([node("b", "1")]));
    assert.equal(memo.size, 1);
  });
});

describe("prioritize", () => {
  it("scores every node with an integer 0..10, unknown names 0", () => {
    const { result } = prioritize(deps({ cache: cached() }), extenderArgs.parse(fixture("filter-nodenames.json")));
    assert.deepEqual(result.map((h) => h.Host), ["node-a", "node-small", "node-gpu", "node-gone"]);
    for (const { Score } of result) assert.ok(Number.isInteger(Score) && Score >= 0 && Score <= 10);
    assert.equal(result.find((h) => h.Host === "node-gone")!.Score, 0);
    assert.ok(result.find((h) => h.Host === "node-gpu")!.Score > result.find((h) => h.Host === "node-a")!.Score, "the emptier node scores higher");
  });
  it("leaves out a failing scorer, counted, and still answers", () => {
    const d = deps();
    const framework = { ...d.framework, scorers: [{ name: "broken", weight: 5, plugin: { score: () => { throw new Error("boom"); } } }, ...d.framework.scorers] };
    const { result } = prioritize({ ...d, framework }, extenderArgs.parse(fixture("filter-nodelist.json")));
    assert.equal(result.length, 3);
    assert.deepEqual(d.errors, ["prioritize:broken"]);
  });
  it("clamps wild plugin scores into 0..10 integers (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double(), fc.constant(Number.NaN)), { minLength: 3, maxLength: 3 }), (raw) => {
        const framework = { filters: [], scorers: [{ name: "wild", weight: 1, plugin: { score: (_p: unknown, n: { name: string }) => raw[["node-a", "node-small", "node-gpu"].indexOf(n.name)]! } }] };
        const { result } = prioritize(deps({ framework }), extenderArgs.parse(fixture("filter-nodelist.json")));
        for (const { Score } of result) assert.ok(Number.isInteger(Score) && Score >= 0 && Score <= 10);
      }),
    );
  });
});

describe("preempt", () => {
  it("keeps a node where evicting the offered victims makes room, with exactly those victims", () => {
    const args = extenderPreemptionArgs.parse(fixture("preempt-meta.json"));
    const { result } = preempt(deps({ cache: cached() }), args);
    // node-a: evicting victim-2 (100m) leaves 3500m used of 4: the 600m pod still does not fit. node-small is too small anyway.
    assert.deepEqual(result.NodeNameToMetaVictims, {});
    const enough = extenderPreemptionArgs.parse({ ...fixture("preempt-meta.json"), NodeNameToMetaVictims: { "node-a": { Pods: [{ UID: "victim-1" }], NumPDBViolations: 1 } } });
    assert.deepEqual(preempt(deps({ cache: cached() }), enough).result.NodeNameToMetaVictims, { "node-a": { Pods: [{ UID: "victim-1" }], NumPDBViolations: 1 } });
  });
  it("never returns a node with zero victims, nor one it does not know", () => {
    const args = extenderPreemptionArgs.parse({ Pod: {}, NodeNameToMetaVictims: { "node-a": { Pods: [], NumPDBViolations: 0 }, unknown: { Pods: [{ UID: "u" }] } } });
    assert.deepEqual(preempt(deps({ cache: cached() }), args).result.NodeNameToMetaVictims, {});
  });
  it("reads full victims (NodeNameToVictims) and answers with their UIDs", () => {
    const args = extenderPreemptionArgs.parse({ ...fixture("preempt-full.json"), NodeNameToVictims: { "node-a": { Pods: [{ metadata: { uid: "victim-1" } }], NumPDBViolations: 0 } } });
    assert.deepEqual(preempt(deps({ cache: cached() }), args).result.NodeNameToMetaVictims, { "node-a": { Pods: [{ UID: "victim-1" }], NumPDBViolations: 0 } });
  });
  it("only returns offered victims (property)", () => {
    const uids = fc.subarray(["victim-1", "victim-2", "stranger"], { minLength: 1 });
    fc.assert(
      fc.property(uids, (offered) => {
        const args = extenderPreemptionArgs.parse({ Pod: { spec: { containers: [{ resources: { requests: { cpu: "100m" } } }] } }, NodeNameToMetaVictims: { "node-a": { Pods: offered.map((UID) => ({ UID })) } } });
        const out = preempt(deps({ cache: cached() }), args).result.NodeNameToMetaVictims["node-a"];
        assert.ok(out && out.Pods.length > 0);
        for (const { UID } of out.Pods) assert.ok(offered.includes(UID));
      }),
    );
  });
});

describe("bind", () => {
  const args = fixture("bind.json");
  function api(nodeName: string | undefined, createStatus?: number, uid = args.PodUID): BindingApi & { created: number } {
    return {
      created: 0,
      createBinding() {
        this.created++;
        return createStatus ? Promise.reject(new KubeApiError("POST", "/api/v1/namespaces/shop/bindings", createStatus, `{"message":"status ${createStatus}"}`)) : Promise.resolve();
      },
      readPod() {
        return Promise.resolve(nodeName === undefined ? undefined : { uid, nodeName });
      },
    };
  }
  const run = (binding: BindingApi) => bind(deps({ binder: apiBinder(binding) }), args).then((r) => r.result.Error);
  it("binds with one API call", async () => {
    const binding = api("");
    assert.equal(await run(binding), "");
    assert.equal(binding.created, 1);
  });
  it("succeeds again when the pod is already bound to that node (idempotent)", async () => assert.equal(await run(api("node-a", 409)), ""));
  it("fails when the pod is bound elsewhere", async () => assert.equal(await run(api("node-b", 409)), "pod shop/web-7d9f-abcde is already bound to node node-b, not node-a"));
  it("fails when the pod was recreated under the same name", async () => assert.match(await run(api("node-a", 409, "other-uid")), /was recreated/));
  it("reports other API failures in Error", async () => assert.match(await run(api("", 403)), /^binding pod shop\/web-7d9f-abcde to node node-a failed: HTTP 403/));
  it("says so when bind is disabled", async () => assert.match((await bind(deps(), args)).result.Error, /bind verb is disabled/));

  describe("assume (node-cache mode)", () => {
    const filtered = (status?: number) => {
      const d = deps({ cache: cached(), recent: new RecentPods(), binder: apiBinder(api("node-b", status)) });
      filter(d, extenderArgs.parse(fixture("filter-nodenames.json")));
      return d;
    };
    const onGpu = { ...args, Node: "node-gpu" };
    it("counts the pod on its node right after a successful bind, before the informer reports it", async () => {
      const d = filtered();
      const before = d.cache!.nodeInfo("node-gpu")!.usage.requested["cpu"] ?? 0;
      assert.equal((await bind(d, onGpu)).result.Error, "");
      const usage = d.cache!.nodeInfo("node-gpu")!.usage;
      assert.ok(usage.pods.has(args.PodUID));
      assert.equal(Math.round(((usage.requested["cpu"] ?? 0) - before) * 1000), 600, "the pod's 500m plus its 100m sidecar");
      assert.equal(d.recent!.size, 0, "a bound pod is forgotten");
    });
    it("counts nothing when the bind fails", async () => {
      const d = filtered(500);
      assert.notEqual((await bind(d, onGpu)).result.Error, "");
      assert.equal(d.cache!.nodeInfo("node-gpu")!.usage.pods.has(args.PodUID), false);
    });
    it("keeps the informer's entry when it reported the pod first", async () => {
      const d = filtered();
      d.cache!.upsertPod({ metadata: { uid: args.PodUID, name: args.PodName, namespace: args.PodNamespace }, spec: { nodeName: "node-a", containers: [] } });
      await bind(d, onGpu);
      assert.equal(d.cache!.nodeInfo("node-gpu")!.usage.pods.has(args.PodUID), false);
      assert.ok(d.cache!.nodeInfo("node-a")!.usage.pods.has(args.PodUID));
    });
  });
});

describe("RecentPods", () => {
  it("keeps the newest pods up to its limit", () => {
    const recent = new RecentPods(2);
    for (const uid of ["a", "b", "c"]) recent.remember(podSchema.parse({ metadata: { uid } }));
    recent.remember(podSchema.parse({ metadata: {} }));
    assert.equal(recent.size, 2);
    assert.equal(recent.take("a"), undefined);
    assert.equal(recent.take("c")?.metadata.uid, "c");
    assert.equal(recent.take("c"), undefined);
  });
});

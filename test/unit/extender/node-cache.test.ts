import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CacheObjectError, NodeCache } from "../../../extender/cache/node-cache.ts";
import { fixture } from "./support.ts";

const pod = (uid: string, nodeName: string, cpu: string, extra: Record<string, unknown> = {}) => ({
  metadata: { uid, name: uid, namespace: "default", ownerReferences: [{ uid: "rs", controller: true }] },
  spec: { nodeName, containers: [{ name: "c", resources: { requests: { cpu } } }] },
  status: { phase: "Running" },
  ...extra,
});

describe("NodeCache fed by events", () => {
  it("keeps nodes and the summed requests of the pods on them", () => {
    const cache = new NodeCache();
    for (const n of fixture("nodes.json")) cache.upsertNode(n);
    cache.upsertPod(pod("p1", "node-a", "500m"));
    cache.upsertPod(pod("p2", "node-a", "250m"));
    const info = cache.nodeInfo("node-a")!;
    assert.equal(cache.nodeCount, 3);
    assert.equal(info.allocatable["cpu"], 4);
    assert.equal(info.usage.requested["cpu"], 0.75);
    assert.equal(info.usage.owners.get("rs"), 2);
  });
  it("applies updates and deletes incrementally, also when the node arrives after its pods", () => {
    const cache = new NodeCache();
    cache.upsertPod(pod("p1", "node-a", "500m"));
    cache.upsertNode(fixture("nodes.json")[0]);
    assert.equal(cache.nodeInfo("node-a")!.usage.requested["cpu"], 0.5);
    cache.upsertPod(pod("p1", "node-a", "1"));
    assert.equal(cache.nodeInfo("node-a")!.usage.requested["cpu"], 1, "an update replaces, never adds twice");
    cache.deletePod("p1");
    assert.equal(cache.nodeInfo("node-a")!.usage.pods.size, 0);
    assert.equal(cache.nodeInfo("node-a")!.usage.requested["cpu"], 0);
    cache.deleteNode("node-a");
    assert.equal(cache.nodeInfo("node-a"), undefined);
  });
  it("drops pods that finished", () => {
    const cache = new NodeCache();
    cache.upsertPod(pod("p1", "n", "1"));
    cache.upsertPod(pod("p1", "n", "1", { status: { phase: "Succeeded" } }));
    assert.equal(cache.podCount, 0);
    assert.equal(cache.usage("n").requested["cpu"] ?? 0, 0);
  });
  it("replaces its content with a fresh list, dropping what is gone", () => {
    const cache = new NodeCache();
    const nodes = fixture("nodes.json");
    for (const n of nodes) cache.upsertNode(n);
    cache.upsertPod(pod("p1", "node-a", "1"));
    cache.upsertPod(pod("p2", "node-a", "1"));
    assert.deepEqual(cache.replaceNodes([nodes[0]]), []);
    assert.deepEqual(cache.replacePods([pod("p2", "node-a", "1")]), []);
    assert.equal(cache.nodeCount, 1);
    assert.deepEqual([...cache.nodeInfo("node-a")!.usage.pods.keys()], ["p2"]);
  });
  it("refuses unreadable objects with the object and field named, keeping its state", () => {
    const cache = new NodeCache();
    cache.upsertNode(fixture("nodes.json")[0]);
    assert.throws(() => cache.upsertNode({ metadata: { name: "node-a" }, status: { allocatable: { cpu: "many" } } }), (e: Error) => e instanceof CacheObjectError && /node node-a: status\.allocatable\.cpu/.test(e.message));
    assert.equal(cache.nodeInfo("node-a")!.allocatable["cpu"], 4);
    assert.throws(() => cache.upsertPod({ metadata: { name: "x", namespace: "ns" } }), /pod ns\/x: metadata\.uid/);
    assert.deepEqual(cache.replacePods([{ metadata: {} }, pod("ok", "node-a", "1")]).length, 1);
    assert.equal(cache.podCount, 1);
  });
});

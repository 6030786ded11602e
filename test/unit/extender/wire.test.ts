import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extenderArgs, extenderBindingArgs, extenderPreemptionArgs, parseWire } from "../../../extender/wire.ts";
import { fixture } from "./support.ts";

describe("ExtenderArgs as kube-scheduler marshals them", () => {
  it("reads full-NodeList mode (NodeNames: null) and keeps every node field for the reply", () => {
    const raw = fixture("filter-nodelist.json");
    const parsed = parseWire(extenderArgs, raw);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.NodeNames, null);
    assert.deepEqual(parsed.value.Nodes?.items, raw.Nodes.items, "Nodes pass through as sent");
    assert.equal(parsed.value.Pod.metadata.namespace, "shop");
  });
  it("leaves a nameless Node to the verb, which names Nodes.items[0].metadata.name", () => assert.ok(parseWire(extenderArgs, { Pod: {}, Nodes: { items: [{ metadata: {} }] } }).ok));
  it("reads node-cache mode (Nodes: null)", () => {
    const parsed = parseWire(extenderArgs, fixture("filter-nodenames.json"));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.Nodes, null);
    assert.deepEqual(parsed.value.NodeNames, ["node-a", "node-small", "node-gpu", "node-gone"]);
  });
  it("matches keys case-insensitively, as Go's decoder does", () => {
    const parsed = parseWire(extenderArgs, fixture("filter-nodenames-lowercase.json"));
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.value.NodeNames, ["node-a", "node-small"]);
    const upper = parseWire(extenderArgs, { POD: { metadata: { name: "p" } }, NODES: { Items: [{ metadata: { name: "n" } }] } });
    assert.ok(upper.ok);
    assert.deepEqual(upper.value.Nodes?.items, [{ metadata: { name: "n" } }]);
  });
  const bad: [string, unknown, string][] = [
    ["no node set", { Pod: { metadata: { name: "p" } }, Nodes: null, NodeNames: null }, "Nodes"],
    ["no pod", { NodeNames: ["a"] }, "Pod"],
    ["NodeNames not strings", { Pod: {}, NodeNames: [1] }, "NodeNames[0]"],
    ["Nodes without items as a list", { Pod: {}, Nodes: { items: {} } }, "Nodes.items"],
    ["a bad request", { Pod: { spec: { containers: [{ resources: { requests: { memory: "1 GB" } } }] } }, NodeNames: [] }, "Pod.spec.containers[0].resources.requests.memory"],
    ["not an object", ["Pod"], "(root)"],
  ];
  for (const [what, body, field] of bad) {
    it(`names ${field} for ${what}`, () => {
      const parsed = parseWire(extenderArgs, body);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.equal(parsed.field, field);
    });
  }
});

describe("ExtenderBindingArgs and ExtenderPreemptionArgs", () => {
  it("reads a binding", () => {
    const parsed = parseWire(extenderBindingArgs, fixture("bind.json"));
    assert.deepEqual(parsed.ok && parsed.value, fixture("bind.json"));
  });
  it("reads a lowercase binding and names a missing node", () => {
    assert.ok(parseWire(extenderBindingArgs, { podname: "p", podnamespace: "ns", poduid: "u", node: "n" }).ok);
    const missing = parseWire(extenderBindingArgs, { PodName: "p", PodNamespace: "ns", PodUID: "u" });
    assert.equal(!missing.ok && missing.field, "Node");
  });
  it("reads both preemption forms", () => {
    const meta = parseWire(extenderPreemptionArgs, fixture("preempt-meta.json"));
    assert.ok(meta.ok);
    assert.equal(meta.value.NodeNameToMetaVictims?.["node-a"]?.NumPDBViolations, 1);
    const full = parseWire(extenderPreemptionArgs, fixture("preempt-full.json"));
    assert.ok(full.ok);
    assert.equal(full.value.NodeNameToVictims?.["node-small"]?.Pods?.[0]?.metadata.uid, "victim-1");
  });
  it("reads lowercase victim keys and names a victim without a UID", () => {
    const ok = parseWire(extenderPreemptionArgs, { pod: {}, nodenametometavictims: { n: { pods: [{ uid: "u" }], numpdbviolations: 0 } } });
    assert.deepEqual(ok.ok && ok.value.NodeNameToMetaVictims, { n: { Pods: [{ UID: "u" }], NumPDBViolations: 0 } });
    const bad = parseWire(extenderPreemptionArgs, { Pod: {}, NodeNameToMetaVictims: { n: { Pods: [{}] } } });
    assert.equal(!bad.ok && bad.field, "NodeNameToMetaVictims.n.Pods[0].UID");
  });
});

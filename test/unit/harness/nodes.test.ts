import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_NODES, nodeObject, uniformNodes } from "../../../src/harness/nodes.ts";

test("the e2e node set varies size and zone, and exactly one node is tainted", () => {
  assert.equal(DEFAULT_NODES.length, 6);
  assert.ok(new Set(DEFAULT_NODES.map((n) => n.zone)).size >= 3);
  assert.ok(new Set(DEFAULT_NODES.map((n) => n.cpu)).size >= 3);
  assert.equal(DEFAULT_NODES.filter((n) => (n.taints ?? []).length > 0).length, 1);
  assert.equal(new Set(DEFAULT_NODES.map((n) => n.name)).size, 6, "names are unique");
});

test("nodeObject makes a Node kwok manages, with capacity = allocatable and its taints", () => {
  const node = nodeObject(DEFAULT_NODES.find((n) => n.taints)!);
  assert.equal(node.metadata?.annotations?.["kwok.x-k8s.io/node"], "fake");
  assert.equal(node.metadata?.labels?.["type"], "kwok");
  assert.equal(node.metadata?.labels?.["topology.kubernetes.io/zone"], "zone-c");
  assert.deepEqual(node.status?.capacity, node.status?.allocatable);
  assert.deepEqual(node.spec?.taints, [{ key: "podgate.dev/dedicated", value: "special", effect: "NoSchedule" }]);
});

test("uniformNodes names are unique and zones rotate", () => {
  const nodes = uniformNodes(300);
  assert.equal(new Set(nodes.map((n) => n.name)).size, 300);
  assert.deepEqual(nodes.slice(0, 4).map((n) => n.zone), ["zone-a", "zone-b", "zone-c", "zone-a"]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { runPlugin } from "podgate/testing";
import teamNodes from "../plugins/team-nodes.ts";

const node = (name: string, team?: string) => ({
  metadata: { name, labels: team ? { "example.com/team": team } : {} },
  status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" } },
});
const pod = { metadata: { name: "web", namespace: "shop", labels: { team: "shop" } }, spec: { containers: [{ name: "app" }] } };

test("keeps a team's nodes for its pods, and the team's pods prefer them", () => {
  const run = runPlugin(teamNodes, { pod, nodes: [node("shared"), node("shop-1", "shop"), node("ml-1", "ml")] });
  assert.deepEqual(run.passed, ["shared", "shop-1"]);
  assert.deepEqual(run.failed, { "ml-1": "node is reserved for team ml" });
  assert.ok(run.scores["shop-1"]! > run.scores["shared"]!);
});

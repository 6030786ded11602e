// podgate/harness's edges that need nothing running: startCluster refuses bad
// options before it starts anything, naming the option; connectCluster names
// what is missing or wrong in the handle `podgate e2e` writes.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectCluster, startCluster } from "../../../src/harness.ts";

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "podgate-handle-")), "cluster.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
};

test("startCluster refuses bad options with their path, before starting anything", async () => {
  await assert.rejects(startCluster({ nodes: [] }), /startCluster: nodes: Too small: expected array to have >=1 items/);
  await assert.rejects(startCluster({ nodes: [{ name: "Big_Node", zone: "a", cpu: "1", memory: "1Gi" }] }), /nodes\.0\.name: a DNS subdomain/);
  // @ts-expect-error an unknown option is a type error, and refused at run time too
  await assert.rejects(startCluster({ confg: "podgate.yaml" }), /Unrecognized key: "confg"/);
  await assert.rejects(startCluster({ config: "/nonexistent/podgate.yaml" }), /no podgate config at \/nonexistent\/podgate\.yaml/);
});

test("connectCluster says how to get a cluster, and names a bad handle's field", () => {
  assert.throws(() => connectCluster(""), /PODGATE_E2E_CLUSTER is not set; run the tests with `podgate e2e`/);
  assert.throws(() => connectCluster(file({ kubeconfig: "/k", podgate: { url: "nope", logFile: "/l", metricsUrl: "http://m" } })), /podgate\.url: /);
});

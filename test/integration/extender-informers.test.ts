// The informer feed against a fake apiserver on loopback (plain HTTP): first
// list fails and is retried, lists fill the cache, watch events update it.
import assert from "node:assert/strict";
import { createServer, type ServerResponse } from "node:http";
import { after, before, it } from "node:test";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { startFeed, POD_FIELD_SELECTOR, type Feed } from "../../extender/cache/informers.ts";
import { NodeCache } from "../../extender/cache/node-cache.ts";
import { extenderMetrics } from "../../extender/metrics.ts";
import { loopbackKubeConfig } from "../support/kube.ts";

const node = (name: string, resourceVersion: string) => ({ metadata: { name, resourceVersion }, status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" } } });
const pod = (uid: string, nodeName: string, resourceVersion: string) => ({ metadata: { uid, name: uid, namespace: "default", resourceVersion }, spec: { nodeName, containers: [{ resources: { requests: { cpu: "1" } } }] } });

const watches = new Map<string, ServerResponse>();
const seen: string[] = [];
let nodeLists = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  const resource = url.pathname.endsWith("/nodes") ? "nodes" : "pods";
  seen.push(`${resource}${url.searchParams.get("watch") ? " watch" : ""} ${url.searchParams.get("fieldSelector") ?? ""}`);
  if (url.searchParams.get("watch")) {
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    watches.set(resource, res);
    return;
  }
  if (resource === "nodes" && ++nodeLists === 1) return void res.writeHead(500, { "content-type": "application/json" }).end('{"kind":"Status","code":500}');
  const items = resource === "nodes" ? [node("a", "10")] : [pod("p1", "a", "11")];
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: resource === "nodes" ? "NodeList" : "PodList", apiVersion: "v1", metadata: { resourceVersion: "12" }, items }));
});

let feed: Feed;
const cache = new NodeCache();

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const kubeConfig = loopbackKubeConfig(port);
  feed = startFeed({ kubeConfig, cache, nodes: true, pods: true, resyncSeconds: 3600, log: Fastify({ logger: false }).log, metrics: extenderMetrics(new Registry()), retryMs: { min: 10, max: 20 } });
});

after(async () => {
  await feed.stop();
  for (const res of watches.values()) res.end();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

it("is not ready until every list has landed, retrying a failed list", async () => {
  assert.match(feed.notSynced() ?? "", /waiting for the first list of nodes/);
  await until("sync", () => feed.notSynced() === undefined);
  assert.ok(nodeLists >= 2, "the failed node list was retried");
  assert.equal(cache.nodeInfo("a")?.usage.requested["cpu"], 1);
  assert.ok(seen.includes(`pods ${POD_FIELD_SELECTOR}`), "pods are listed with the bound-and-running field selector");
});

it("applies watch events to the cache", async () => {
  await until("watches", () => watches.size === 2);
  const send = (resource: string, type: string, object: unknown) => watches.get(resource)!.write(`${JSON.stringify({ type, object })}\n`);
  send("nodes", "ADDED", node("b", "13"));
  send("pods", "ADDED", pod("p2", "b", "14"));
  await until("node b with its pod", () => cache.nodeInfo("b")?.usage.pods.size === 1);
  send("pods", "DELETED", pod("p1", "a", "15"));
  send("nodes", "DELETED", node("b", "16"));
  await until("deletes", () => cache.nodeInfo("b") === undefined && cache.nodeInfo("a")?.usage.pods.size === 0);
});

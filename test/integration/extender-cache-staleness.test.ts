// The node cache without its API: it keeps answering, reports how stale it
// is (metric, /readyz past staleAfterSeconds) and resyncs when the API returns.
import assert from "node:assert/strict";
import { createServer, type Server, type ServerResponse } from "node:http";
import { after, it } from "node:test";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { startFeed, type Feed } from "../../extender/cache/informers.ts";
import { NodeCache } from "../../extender/cache/node-cache.ts";
import { extenderMetrics } from "../../extender/metrics.ts";
import { loopbackKubeConfig } from "../support/kube.ts";

const node = (name: string) => ({ metadata: { name, resourceVersion: "10" }, status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" } } });

/** A fake apiserver whose node list is `nodes`; it can be stopped and started on the same port. */
function fakeApi(nodes: () => string[]) {
  const watches = new Set<ServerResponse>();
  let server: Server | undefined;
  const handler = (req: import("node:http").IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.searchParams.get("watch")) {
      res.writeHead(200, { "content-type": "application/json" }).flushHeaders();
      watches.add(res);
      return;
    }
    const isNodes = url.pathname.endsWith("/nodes");
    const items = isNodes ? nodes().map(node) : [];
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: isNodes ? "NodeList" : "PodList", apiVersion: "v1", metadata: { resourceVersion: "10" }, items }));
  };
  return {
    async start(port = 0): Promise<number> {
      server = createServer(handler);
      await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
      return (server.address() as { port: number }).port;
    },
    async stop() {
      for (const res of watches) res.destroy();
      watches.clear();
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    },
  };
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let names = ["a", "b"];
const api = fakeApi(() => names);
let feed: Feed | undefined;
after(async () => {
  await feed?.stop();
  await api.stop();
});

it("keeps answering from the cache while the API is down, counts staleness, and resyncs on return", async () => {
  const port = await api.start();
  const kubeConfig = loopbackKubeConfig(port);
  const cache = new NodeCache();
  const registry = new Registry();
  feed = startFeed({ kubeConfig, cache, nodes: true, pods: true, resyncSeconds: 3600, log: Fastify({ logger: false }).log, metrics: extenderMetrics(registry), retryMs: { min: 50, max: 200 } });
  const synced = feed;
  await until("first sync", () => synced.notSynced() === undefined && cache.nodeCount === 2);
  assert.equal(synced.staleSeconds(), 0, "connected: not stale");

  await api.stop();
  await until("staleness", () => synced.staleSeconds() > 1.2);
  assert.ok(cache.nodeInfo("a") && cache.nodeInfo("b"), "the cache still answers for the nodes it knew");
  assert.match(await registry.getSingleMetricAsString("podgate_extender_cache_stale_seconds"), /podgate_extender_cache_stale_seconds [1-9]/);

  names = ["a", "c"];
  await api.start(port);
  await until("reconnect", () => synced.staleSeconds() === 0);
  await until("resync", () => cache.nodeInfo("c") !== undefined && cache.nodeInfo("b") === undefined);
  assert.match(await registry.getSingleMetricAsString("podgate_extender_cache_stale_seconds"), /podgate_extender_cache_stale_seconds 0$/m);
});

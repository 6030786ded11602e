// The extender's binder against a fake apiserver on loopback (plain HTTP):
// successive binds share one keep-alive connection instead of opening one
// per call (client-node's makeApiClient does the latter), and the request
// still carries the Binding the apiserver expects.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, it } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { apiBinder, kubeBindingApi } from "../../extender/bind.ts";
import { keepAliveApiClient } from "../../src/kube/client.ts";

let connections = 0;
const bodies: unknown[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    bodies.push({ url: req.url, body: JSON.parse(body) as unknown });
    res.writeHead(201, { "content-type": "application/json" }).end('{"kind":"Status","apiVersion":"v1","status":"Success","code":201}');
  });
});
server.on("connection", () => connections++);
const kubeConfig = new KubeConfig();

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  kubeConfig.loadFromOptions({
    // skipTLSVerify makes client-node build a dispatcher per request, as it does for any TLS cluster.
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u", token: "t0ken" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const binding = (i: number) => ({ PodName: `p${i}`, PodNamespace: "ns", PodUID: `uid-${i}`, Node: "n1" });

it("binds 20 pods over at most two connections, each request a Binding with the pod's uid", async () => {
  connections = 0;
  bodies.length = 0;
  const binder = apiBinder(kubeBindingApi(kubeConfig));
  for (let i = 0; i < 20; i++) assert.equal(await binder.bind(binding(i)), "");
  // undici may dial a second socket while the first is being released; never one per call.
  assert.ok(connections <= 2, `${connections} connections for 20 binds`);
  assert.deepEqual(bodies[3], {
    url: "/api/v1/namespaces/ns/bindings",
    body: { apiVersion: "v1", kind: "Binding", metadata: { name: "p3", namespace: "ns", uid: "uid-3" }, target: { apiVersion: "v1", kind: "Node", name: "n1" } },
  });
});

it("keeps authenticating every call (the token header is applied per request)", async () => {
  const seen: (string | undefined)[] = [];
  const listener = (req: { headers: Record<string, string | string[] | undefined> }) => seen.push(req.headers["authorization"] as string | undefined);
  server.on("request", listener);
  try {
    const api = keepAliveApiClient(kubeConfig, CoreV1Api);
    for (let i = 0; i < 3; i++) await api.createNamespacedBinding({ namespace: "ns", body: { metadata: { name: `q${i}` }, target: { name: "n1" } } });
  } finally {
    server.off("request", listener);
  }
  assert.deepEqual(seen, ["Bearer t0ken", "Bearer t0ken", "Bearer t0ken"]);
});

it("is what makes the difference: client-node's own client opens a connection per call", async () => {
  connections = 0;
  const api = kubeConfig.makeApiClient(CoreV1Api);
  for (let i = 0; i < 5; i++) await api.createNamespacedBinding({ namespace: "ns", body: { metadata: { name: `r${i}` }, target: { name: "n1" } } });
  assert.equal(connections, 5);
});

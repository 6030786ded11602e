// The extender's binder against a fake apiserver on loopback (plain HTTP):
// successive binds share one keep-alive connection instead of opening one
// per call (client-node's makeApiClient does the latter), concurrent binds
// stay within the agent's sockets, the request carries the Binding the
// apiserver expects with the kubeconfig's credentials, a 401 re-reads them,
// and the apiserver's refusal reaches the scheduler with its status.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { after, before, beforeEach, it } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { apiBinder, kubeBindingApi } from "../../extender/bind.ts";
import { kubeRequest } from "../../src/kube/api-request.ts";
import { KubeApiError } from "../../src/kube/errors.ts";

let connections = 0;
let inFlight = 0;
let mostInFlight = 0;
const requests: { url: string | undefined; method: string | undefined; authorization: string | undefined; body: unknown }[] = [];
/** What the fake apiserver answers; by default a created Binding. */
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) =>
  res.writeHead(201, { "content-type": "application/json" }).end('{"kind":"Status","apiVersion":"v1","status":"Success","code":201}');

const server = createServer((req, res) => {
  inFlight++;
  mostInFlight = Math.max(mostInFlight, inFlight);
  let body = "";
  req.on("data", (chunk: Buffer) => (body += chunk.toString()));
  req.on("end", () => {
    requests.push({ url: req.url, method: req.method, authorization: req.headers.authorization, body: body ? (JSON.parse(body) as unknown) : undefined });
    // Answer a little later, so concurrent requests overlap at the server.
    setTimeout(() => {
      inFlight--;
      answer(req, res);
    }, 5);
  });
});
server.on("connection", () => connections++);
let port = 0;

function kubeConfigWithToken(token: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "u", token }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  return kubeConfig;
}

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

beforeEach(() => {
  connections = 0;
  mostInFlight = 0;
  requests.length = 0;
  answer = (_req, res) => res.writeHead(201, { "content-type": "application/json" }).end('{"kind":"Status","apiVersion":"v1","status":"Success","code":201}');
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const binding = (i: number) => ({ PodName: `p${i}`, PodNamespace: "ns", PodUID: `uid-${i}`, Node: "n1" });

it("binds 20 pods one after another over one connection, each request a Binding with the pod's uid and the token", async () => {
  const binder = apiBinder(kubeBindingApi(kubeConfigWithToken("t0ken")));
  for (let i = 0; i < 20; i++) assert.equal(await binder.bind(binding(i)), "");
  assert.equal(connections, 1);
  assert.equal(requests.length, 20);
  assert.deepEqual(requests[3], {
    url: "/api/v1/namespaces/ns/bindings",
    method: "POST",
    authorization: "Bearer t0ken",
    body: { apiVersion: "v1", kind: "Binding", metadata: { name: "p3", namespace: "ns", uid: "uid-3" }, target: { apiVersion: "v1", kind: "Node", name: "n1" } },
  });
});

it("keeps 40 concurrent binds within the agent's sockets", async () => {
  const api = kubeRequest(kubeConfigWithToken("t0ken"), { maxSockets: 4 });
  await Promise.all(Array.from({ length: 40 }, (_, i) => api("POST", "/api/v1/namespaces/ns/bindings", { metadata: { name: `c${i}` } })));
  assert.equal(requests.length, 40);
  assert.ok(connections <= 4, `${connections} connections for 40 concurrent binds with 4 sockets`);
  assert.ok(mostInFlight <= 4 && mostInFlight > 1, `${mostInFlight} requests in flight at once`);
});

it("asks the kubeconfig again after a 401 and retries once with the new credentials", async () => {
  const kubeConfig = kubeConfigWithToken("old");
  const api = kubeRequest(kubeConfig, { authTtlMs: 60_000 });
  answer = (req, res) =>
    req.headers.authorization === "Bearer new" ? res.writeHead(200, { "content-type": "application/json" }).end("{}") : res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Unauthorized"}');
  await assert.rejects(api("GET", "/api/v1/namespaces/ns/pods/a"), (error: unknown) => error instanceof KubeApiError && error.status === 401);
  // The token is rotated (a refreshed token file, an exec plugin): the cached headers are stale.
  kubeConfig.loadFromOptions({ clusters: kubeConfig.clusters, users: [{ name: "u", token: "new" }], contexts: kubeConfig.contexts, currentContext: kubeConfig.currentContext });
  assert.deepEqual(await api("GET", "/api/v1/namespaces/ns/pods/a"), {});
  assert.deepEqual(
    requests.map((r) => r.authorization),
    ["Bearer old", "Bearer old", "Bearer old", "Bearer new"],
  );
});

it("reports the apiserver's refusal with its status and message", async () => {
  answer = (_req, res) => res.writeHead(403, { "content-type": "application/json" }).end('{"kind":"Status","message":"bindings is forbidden: User \\"u\\" cannot create resource"}');
  const binder = apiBinder(kubeBindingApi(kubeConfigWithToken("t0ken")));
  assert.match(await binder.bind(binding(1)), /^binding pod ns\/p1 to node n1 failed: HTTP 403: .*bindings is forbidden/);
  const api = kubeRequest(kubeConfigWithToken("t0ken"));
  await assert.rejects(api("POST", "/api/v1/namespaces/ns/bindings", {}), /^Error: POST \/api\/v1\/namespaces\/ns\/bindings: HTTP 403: bindings is forbidden: User "u" cannot create resource$/);
});

it("reads the pod back after a 409: bound to the same node is success, a missing pod is named", async () => {
  answer = (req, res) => {
    if (req.method === "POST") res.writeHead(409, { "content-type": "application/json" }).end('{"message":"already assigned"}');
    else if (req.url === "/api/v1/namespaces/ns/pods/p1") res.writeHead(200, { "content-type": "application/json" }).end('{"metadata":{"uid":"uid-1"},"spec":{"nodeName":"n1"}}');
    else res.writeHead(404, { "content-type": "application/json" }).end('{"message":"not found"}');
  };
  const binder = apiBinder(kubeBindingApi(kubeConfigWithToken("t0ken")));
  assert.equal(await binder.bind(binding(1)), "");
  assert.equal(await binder.bind(binding(2)), "pod ns/p2 no longer exists");
});

it("is what makes the difference: client-node's own client opens a connection per call", async () => {
  const api = kubeConfigWithToken("t0ken").makeApiClient(CoreV1Api);
  for (let i = 0; i < 5; i++) await api.createNamespacedBinding({ namespace: "ns", body: { metadata: { name: `r${i}` }, target: { name: "n1" } } });
  assert.equal(connections, 5);
});

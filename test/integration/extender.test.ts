// The extender over real HTTPS on loopback: wire fixtures in, replies as
// kube-scheduler decodes them out, 400s naming the field, metrics counted.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { extensionsFor, registry } from "../../src/wiring.ts";
import { parseConfig } from "../../src/config/load.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { call } from "../../src/harness/https.ts";
import { fixture } from "../unit/extender/support.ts";

let server: RunningServer;
let ca: string;
let dir: string;

const post = (path: string, body: string, contentType = "application/json") => call(new URL(path, server.url).href, { ca, body, headers: { "content-type": contentType } });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "podgate-extender-"));
  const config = parseConfig(
    `server: {port: 0, tlsDir: ${join(dir, "tls")}, logLevel: silent, metrics: {port: 0}}
extender:
  plugins:
  - name: resource-fit
  - name: node-rules
    settings: {reservedTaints: [{key: dedicated, value: gpu, namespaces: [ml]}]}
  - name: least-allocated`,
    registry,
  );
  server = await startServer(config, extensionsFor(config));
  ca = await readFile(join(dir, "tls", "ca.crt"), "utf8");
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("extender over HTTPS", () => {
  it("filters a full NodeList exactly as kube-scheduler sends it", async () => {
    const { status, json } = await post("/extender/filter", JSON.stringify(fixture("filter-nodelist.json")));
    assert.equal(status, 200);
    assert.deepEqual(json.Nodes.items.map((n: any) => n.metadata.name), ["node-a"]);
    assert.deepEqual(json.Nodes.items[0], fixture("filter-nodelist.json").Nodes.items[0], "a node comes back as it was sent");
    assert.deepEqual(Object.keys(json.FailedAndUnresolvableNodes).sort(), ["node-gpu", "node-small"]);
    assert.match(json.FailedAndUnresolvableNodes["node-gpu"], /reserved for namespaces ml/);
    assert.equal(json.Error, "");
  });
  it("prioritizes with lowercase keys, replying a bare HostPriority array", async () => {
    const body = fixture("filter-nodelist.json");
    const { status, json } = await post("/extender/prioritize", JSON.stringify({ pod: body.Pod, nodes: body.Nodes }));
    assert.equal(status, 200);
    assert.deepEqual(json.map((h: any) => h.Host), ["node-a", "node-small", "node-gpu"]);
    for (const h of json) assert.ok(Number.isInteger(h.Score) && h.Score >= 0 && h.Score <= 10);
  });
  it("fails NodeNames without a cache with a reason, never a crash", async () => {
    const { status, json } = await post("/extender/filter", JSON.stringify(fixture("filter-nodenames.json")));
    assert.equal(status, 200);
    assert.deepEqual(json.NodeNames, []);
    assert.equal(Object.keys(json.FailedNodes).length, 4);
  });
  it("answers wrongly shaped args with 400 naming the field, and keeps serving", async () => {
    const { status, json } = await post("/extender/filter", JSON.stringify({ Pod: {}, Nodes: { items: [{ metadata: { name: 7 } }] } }));
    assert.equal(status, 400);
    assert.equal(json.field, "Nodes.items[0].metadata.name");
    assert.match(json.message, /^not a valid filter request: Nodes\.items\[0\]\.metadata\.name: /);
    const deep = await post("/extender/prioritize", JSON.stringify({ Pod: {}, Nodes: { items: [{ metadata: { name: "n" }, status: { allocatable: { cpu: "four" } } }] } }));
    assert.equal(deep.status, 400);
    assert.equal(deep.json.field, "Nodes.items[0].status.allocatable.cpu");
    const bad = await post("/extender/filter", "{not json");
    assert.equal(bad.status, 400);
    assert.equal((await post("/extender/filter", JSON.stringify(fixture("filter-nodelist.json")))).status, 200);
  });
  it("does not serve verbs that are off", async () => {
    assert.equal((await post("/extender/bind", JSON.stringify(fixture("bind.json")))).status, 404);
    assert.equal((await post("/extender/preempt", JSON.stringify(fixture("preempt-meta.json")))).status, 404);
  });
  it("counts calls, nodes and payload per verb", async () => {
    const text = await server.metrics.registry.metrics();
    assert.match(text, /podgate_extender_duration_seconds_count\{verb="filter",outcome="ok"\} [1-9]/);
    assert.match(text, /podgate_extender_duration_seconds_count\{verb="filter",outcome="bad_request"\} 1/);
    assert.match(text, /podgate_extender_duration_seconds_count\{verb="prioritize",outcome="bad_request"\} 1/);
    assert.match(text, /podgate_extender_nodes_in_total\{verb="filter"\} [1-9]/);
    assert.match(text, /podgate_extender_nodes_passed_total\{verb="prioritize"\} 3\n/);
    assert.match(text, /podgate_extender_request_bytes_count\{verb="prioritize"\} 2\n/);
  });
});

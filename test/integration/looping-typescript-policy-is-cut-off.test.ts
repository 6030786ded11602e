// A TypeScript policy that loops forever is answered before the apiserver's
// timeout, by its failurePolicy, with a message naming it; the server keeps
// answering probes and other reviews meanwhile, and the next review is served
// by a fresh worker. Real HTTPS on loopback.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { extensionsFor, registry } from "../../src/wiring.ts";
import { parseConfig } from "../../src/config/load.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { call, post } from "../../src/harness/https.ts";

const LOOPING = new URL("../fixtures/policy/looping-policy.ts", import.meta.url).pathname;
const TIMEOUT_SECONDS = 2;

function review(uid: string, labels: Record<string, string>) {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "default",
      operation: "CREATE",
      object: { apiVersion: "v1", kind: "Pod", metadata: { name: uid, namespace: "default", labels }, spec: { containers: [{ name: "app", image: "registry.k8s.io/pause:3.10" }] } },
    },
  };
}

describe("a TypeScript policy that never returns", () => {
  let dir: string;
  let server: RunningServer;
  let ca: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "podgate-loop-"));
    const config = parseConfig(
      `server: {port: 0, tlsDir: ${join(dir, "tls")}, logLevel: silent, metrics: {enabled: false}}
admission:
  validating:
    - {name: policy, type: policy, timeoutSeconds: ${TIMEOUT_SECONDS}, settings: {modules: [${LOOPING}], library: [disallow-latest-tag]}}`,
      registry,
    );
    server = await startServer(config, extensionsFor(config));
    ca = await readFile(join(dir, "tls", "ca.crt"), "utf8");
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("is denied by its failurePolicy before the apiserver's timeout, naming the policy, while probes and the extender keep answering", async () => {
    // Warm: the worker has loaded the module.
    assert.equal((await post(`${server.url}/validate`, ca, review("warm", {}))).json.response.allowed, true);
    const started = performance.now();
    const looping = post(`${server.url}/validate?timeout=${TIMEOUT_SECONDS}s`, ca, review("loop", { loop: "true" }));
    // While the policy spins, the event loop is free: probes and an unrelated review answer at once.
    await new Promise((r) => setTimeout(r, 200));
    const probeStarted = performance.now();
    assert.equal((await call(`${server.url}/healthz`, { ca })).status, 200);
    const probeMs = performance.now() - probeStarted;
    const { json } = await looping;
    const answeredMs = performance.now() - started;
    assert.equal(json.response.uid, "loop");
    assert.equal(json.response.allowed, false);
    assert.match(json.response.status.message, /^policy loops-on-label: evaluation failed: did not return within \d+ ms; the policy worker was stopped and replaced$/);
    assert.ok(answeredMs < TIMEOUT_SECONDS * 1000, `answered after ${answeredMs.toFixed(0)} ms, the apiserver gives up at ${TIMEOUT_SECONDS * 1000}`);
    assert.ok(probeMs < 500, `/healthz took ${probeMs.toFixed(0)} ms while the policy looped`);
    process.stdout.write(`# looping policy answered after ${answeredMs.toFixed(0)} ms (timeoutSeconds ${TIMEOUT_SECONDS}); /healthz meanwhile ${probeMs.toFixed(1)} ms\n`);
  });

  it("serves the next reviews from a fresh worker, verdicts intact", async () => {
    const started = performance.now();
    const allowed = await post(`${server.url}/validate`, ca, review("after", {}));
    const firstMs = performance.now() - started;
    assert.equal(allowed.json.response.allowed, true);
    const denied = await post(`${server.url}/validate`, ca, review("deny", { deny: "true" }));
    assert.equal(denied.json.response.allowed, false);
    assert.equal(denied.json.response.status.message, "policy loops-on-label: labelled deny=true");
    process.stdout.write(`# first review on the replacement worker: ${firstMs.toFixed(0)} ms\n`);
  });
});

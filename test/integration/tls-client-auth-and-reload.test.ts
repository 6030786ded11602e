import assert from "node:assert/strict";
import { mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { createCa, createServingCert } from "../../src/certs/generate.ts";
import { slowValidator } from "../support/admission.ts";
import { fixture } from "../support/fixtures.ts";
import { call, post } from "../../src/harness/https.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const slow = slowValidator(600);

describe("client certificates (--client-ca)", () => {
  const apiserverCa = createCa({ commonName: "apiserver-client-ca" });
  const otherCa = createCa({ commonName: "someone-else" });
  const apiserver = createServingCert({ ca: apiserverCa, hosts: ["kube-apiserver"], client: true });
  const impostor = createServingCert({ ca: otherCa, hosts: ["kube-apiserver"], client: true });
  let server: TestServer;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "podgate-client-ca-"));
    await writeFile(join(dir, "client-ca.crt"), apiserverCa.cert);
    server = await startTestServer({ server: { clientCA: join(dir, "client-ca.crt") }, validating: [slow] });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a webhook call without a client certificate", async () => {
    const res = await post(`${server.url}/validate`, server.ca, fixture("admission/create-pod.json"));
    assert.equal(res.status, 401);
    assert.match(res.json.message, /client certificate required/);
  });

  it("refuses a client certificate from another CA", async () => {
    const res = await post(`${server.url}/validate`, server.ca, fixture("admission/create-pod.json"), impostor);
    assert.equal(res.status, 401);
    assert.match(res.json.message, /rejected/);
  });

  it("accepts the apiserver's client certificate", async () => {
    const res = await post(`${server.url}/validate`, server.ca, fixture("admission/create-pod.json"), apiserver);
    assert.equal(res.status, 200);
    assert.equal(res.json.response.allowed, true);
  });

  it("leaves probes open so kubelet can check health without a certificate", async () => {
    assert.equal((await call(`${server.url}/healthz`, { ca: server.ca })).status, 200);
  });
});

describe("serving certificate reload", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ validating: [slow] });
  });
  after(() => server.close());

  it("serves a rotated certificate on new connections without dropping one in flight", async () => {
    const first = await call(`${server.url}/healthz`, { ca: server.ca });
    const inFlight = post(`${server.url}/validate`, server.ca, fixture("admission/create-pod.json"));
    await new Promise((r) => setTimeout(r, 100));

    // Rotate as kubelet does for Secret volumes: write new files, then swap them in.
    const caKey = readFileSync(join(server.tlsDir, "ca.key"), "utf8");
    const next = createServingCert({ ca: { cert: server.ca, key: caKey }, hosts: ["localhost", "127.0.0.1"] });
    await writeFile(join(server.tlsDir, "tls.key.new"), next.key);
    await writeFile(join(server.tlsDir, "tls.crt.new"), next.cert);
    await rename(join(server.tlsDir, "tls.key.new"), join(server.tlsDir, "tls.key"));
    await rename(join(server.tlsDir, "tls.crt.new"), join(server.tlsDir, "tls.crt"));

    // The directory watcher picks it up; poll rather than call reloadTls, so the watcher is what is tested.
    let after = first;
    for (let i = 0; i < 50 && after.peerCertificate.fingerprint256 === first.peerCertificate.fingerprint256; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await call(`${server.url}/healthz`, { ca: server.ca });
    }
    assert.notEqual(after.peerCertificate.fingerprint256, first.peerCertificate.fingerprint256, "new connections see the rotated certificate");
    const finished = await inFlight;
    assert.equal(finished.status, 200);
    assert.equal(finished.json.response.allowed, true);
  });

  it("keeps the current certificate when the rotated files are broken", async () => {
    const before = await call(`${server.url}/healthz`, { ca: server.ca });
    await writeFile(join(server.tlsDir, "tls.crt"), "garbage");
    assert.equal(await server.running.reloadTls(), false);
    const still = await call(`${server.url}/healthz`, { ca: server.ca });
    assert.equal(still.peerCertificate.fingerprint256, before.peerCertificate.fingerprint256);
    const metrics = await (await fetch(server.running.metricsUrl!)).text();
    assert.match(metrics, /podgate_serving_certificate_reloads_total\{result="error"\} [1-9]/);
  });
});

describe("graceful shutdown", () => {
  it("turns not-ready, finishes requests in flight, then stops accepting", async () => {
    const server = await startTestServer({ validating: [slow] });
    const inFlight = post(`${server.url}/validate`, server.ca, fixture("admission/create-pod.json"));
    await new Promise((r) => setTimeout(r, 100));
    const closing = server.close();
    assert.match(server.running.readiness.failures().join(), /shutting down/);
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(res.json.response.allowed, true);
    await closing;
    await assert.rejects(call(`${server.url}/healthz`, { ca: server.ca }));
  });
});

describe("graceful shutdown with open connections", () => {
  it("does not wait for TLS connections that never send a request", async () => {
    const server = await startTestServer({ server: { headersTimeoutSeconds: 20 } });
    const { connect } = await import("node:tls");
    const url = new URL(server.url);
    const idle = connect({ host: url.hostname, port: Number(url.port), ca: server.ca });
    await new Promise((resolve) => idle.once("secureConnect", resolve));
    const started = performance.now();
    await server.close();
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `close took ${Math.round(elapsed)} ms with an idle TLS connection open`);
    await new Promise((resolve) => (idle.closed ? resolve(undefined) : idle.once("close", resolve)));
  });
});

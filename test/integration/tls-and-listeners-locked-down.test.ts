// Transport security: TLS 1.2+ only, no plaintext on the webhook/extender
// port, metrics only on their own plain listener (which serves nothing
// else), and a client certificate required on extender routes too when
// --client-ca is set. (Webhook-route mTLS is in tls-client-auth-and-reload.)
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type SecureVersion } from "node:tls";
import { after, before, describe, it } from "node:test";
import { extensionsFor, registry } from "../../src/wiring.ts";
import { parseConfig } from "../../src/config/load.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { post } from "../../src/harness/https.ts";

let dir: string;
let server: RunningServer;
let ca: string;
let port: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "podgate-tls-"));
  const tlsDir = join(dir, "tls");
  // The serving CA doubles as the client CA: a client needs a certificate it signed.
  const first = await startServer(parseConfig(`server: {port: 0, tlsDir: ${tlsDir}, logLevel: silent, metrics: {port: 0}}`, registry));
  await first.close();
  const config = parseConfig(`server: {port: 0, tlsDir: ${tlsDir}, logLevel: silent, metrics: {port: 0}, clientCA: ${join(tlsDir, "ca.crt")}}`, registry);
  server = await startServer(config, extensionsFor(config));
  ca = await readFile(join(tlsDir, "ca.crt"), "utf8");
  port = Number(new URL(server.url).port);
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** The negotiated protocol, or the handshake error. */
function handshake(version: SecureVersion): Promise<string> {
  return new Promise((resolve) => {
    // SECLEVEL=0 lets this client offer old protocols at all, so the refusal is the server's.
    const socket = connect({ port, host: "127.0.0.1", ca, servername: "localhost", minVersion: version, maxVersion: version, ciphers: "DEFAULT:@SECLEVEL=0" }, () => {
      resolve(socket.getProtocol() ?? "unknown");
      socket.end();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(`refused: ${error.code ?? error.message}`));
  });
}

function plain(targetPort: number, method: string, path: string, body?: string): Promise<{ status: number; text: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port: targetPort, method, path, headers: body ? { "content-type": "application/json" } : {}, timeout: 3000 }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(body);
  });
}

describe("transport security", () => {
  it("refuses TLS 1.0 and 1.1, speaks TLS 1.2 and 1.3", async () => {
    assert.match(await handshake("TLSv1"), /^refused/);
    assert.match(await handshake("TLSv1.1"), /^refused/);
    assert.equal(await handshake("TLSv1.2"), "TLSv1.2");
    assert.equal(await handshake("TLSv1.3"), "TLSv1.3");
  });

  it("answers no plaintext request on the webhook and extender port", async () => {
    for (const path of ["/mutate", "/validate", "/extender/filter", "/healthz"]) {
      const reply = await plain(port, "POST", path, "{}");
      assert.ok("error" in reply || reply.status === 400, `${path} over plain HTTP: ${JSON.stringify(reply)}`);
      if (!("error" in reply)) assert.doesNotMatch(reply.text, /AdmissionReview|FailedNodes/);
    }
  });

  it("requires the client certificate on extender routes as on webhook routes", async () => {
    const reply = await post(new URL("/extender/filter", server.url).href, ca, { Pod: {}, NodeNames: [] });
    assert.equal(reply.status, 401);
    assert.match(reply.json.message, /client certificate required/);
  });

  it("serves metrics on their own listener, and nothing else there", async () => {
    const metricsPort = Number(new URL(server.metricsUrl!).port);
    assert.notEqual(metricsPort, port);
    const metrics = await plain(metricsPort, "GET", "/metrics");
    assert.ok(!("error" in metrics) && metrics.status === 200 && metrics.text.includes("podgate_admission_decisions_total"));
    for (const path of ["/mutate", "/validate", "/extender/filter", "/readyz"]) {
      const reply = await plain(metricsPort, "POST", path, "{}");
      assert.ok(!("error" in reply) && reply.status === 404, `${path} on the metrics port: ${JSON.stringify(reply)}`);
    }
    const onTls = await post(new URL("/metrics", server.url).href, ca, "", { method: "GET" });
    assert.equal(onTls.status, 404, "no metrics on the TLS port");
  });
});

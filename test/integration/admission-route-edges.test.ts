// The admission route on the raw HTTPS server (src/server/admission-route.ts),
// at its edges: closing, a chunked body past the limit, a media type refused
// before the body is read, a reply that cannot be serialized, and paths it
// leaves to the rest of the app. A real HTTPS server on loopback.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, request, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { allow, type AdmissionHandler } from "../../src/admission/handler.ts";
import { admissionRoute } from "../../src/server/admission-route.ts";
import { Metrics } from "../../src/server/metrics.ts";
import { ensureLocalCertificates, loadTls } from "../../src/server/tls.ts";
import { fixture } from "../support/fixtures.ts";
import { post } from "../support/https.ts";

const LIMIT = 16 * 1024;
const allowAll: AdmissionHandler = { name: "allow-all", kind: "validating", failurePolicy: "Fail", timeoutSeconds: 2, handle: () => allow() };
// A warning JSON cannot hold: the reply's serialization throws.
const unserializable: AdmissionHandler = { name: "bigint", kind: "validating", failurePolicy: "Fail", timeoutSeconds: 2, handle: () => allow({ warnings: [1n as unknown as string] }) };

describe("the admission route at its edges", () => {
  let dir: string;
  let server: Server;
  let url: string;
  let ca: string;
  let closing = false;
  const metrics = new Metrics();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "podgate-route-"));
    await ensureLocalCertificates(dir);
    const tls = await loadTls(dir);
    ca = await readFile(join(dir, "ca.crt"), "utf8");
    const route = admissionRoute({
      mutating: [],
      validating: [allowAll, unserializable],
      bodyLimitBytes: LIMIT,
      metrics,
      log: pino({ level: "silent" }),
      requireClientCertificate: false,
      isClosing: () => closing,
    });
    server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      if (!route(req, res)) res.writeHead(418).end("not an admission route");
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a review, and leaves other methods and paths to the rest of the app", async () => {
    const review = fixture("admission/create-pod.json");
    const res = await post(`${url}/validate/allow-all?timeout=10s`, ca, review);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.response, { uid: review.request.uid, allowed: true });
    assert.equal((await post(`${url}/validated`, ca, review)).status, 418);
    assert.equal((await post(`${url}/validate/a/b`, ca, review)).status, 418);
  });

  it("refuses a chunked body past the limit with 413 and closes the connection", async () => {
    const { status, connection, text } = await new Promise<{ status: number; connection: string | undefined; text: string }>((resolve, reject) => {
      const req = request(`${url}/validate`, { method: "POST", ca, agent: false, headers: { "content-type": "application/json", "transfer-encoding": "chunked" } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, text: body }));
      });
      req.on("error", reject);
      // Written in pieces, no content-length: the limit is found while reading.
      for (let i = 0; i < 8; i++) req.write(`${"x".repeat(4096)}`);
      req.end();
    });
    assert.equal(status, 413);
    assert.equal(connection, "close");
    assert.match(JSON.parse(text).message, new RegExp(`too large: the limit is ${LIMIT} bytes`));
    assert.match(await metrics.registry.metrics(), /podgate_rejected_requests_total\{route="\/validate",status="413"\} 1/);
  });

  it("refuses another media type with 415 before reading the body", async () => {
    const res = await post(`${url}/validate`, ca, "uid=1", { headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(res.status, 415);
    assert.match(res.json.message, /application\/x-www-form-urlencoded.*application\/json/);
  });

  it("denies with the uid when the reply cannot be serialized", async () => {
    const review = fixture("admission/create-pod.json");
    const res = await post(`${url}/validate/bigint`, ca, review);
    assert.equal(res.status, 200);
    assert.equal(res.json.response.uid, review.request.uid);
    assert.equal(res.json.response.allowed, false);
    assert.equal(res.json.response.status.code, 500);
    assert.match(res.json.response.status.message, /podgate failed: .*BigInt/);
  });

  it("answers 503 naming the shutdown once the server is closing", async () => {
    closing = true;
    try {
      const res = await post(`${url}/validate`, ca, fixture("admission/create-pod.json"));
      assert.equal(res.status, 503);
      assert.match(res.json.message, /shutting down/);
    } finally {
      closing = false;
    }
  });
});

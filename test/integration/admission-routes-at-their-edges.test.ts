// The admission routes on the app's one Fastify layer, at their edges: a
// chunked body past the limit, a media type refused before the body is read,
// a reply that cannot be serialized, an unknown webhook name, paths that are
// not admission routes, and a review that arrives while the server is closing.
// A real HTTPS server on loopback.
import { ServedConfig } from "../../src/server/served-config.ts";
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { allow, type AdmissionHandler } from "../../src/admission/handler.ts";
import { serverConfig } from "../../src/config/schema.ts";
import { buildApp } from "../../src/server/app.ts";
import { Metrics } from "../../src/server/metrics.ts";
import { Readiness } from "../../src/server/readiness.ts";
import { ensureLocalCertificates, loadTls } from "../../src/server/tls.ts";
import { fixture } from "../support/fixtures.ts";
import { post } from "../../src/harness/https.ts";

const LIMIT = 16 * 1024;
const allowAll: AdmissionHandler = { name: "allow-all", kind: "validating", failurePolicy: "Fail", timeoutSeconds: 2, handle: () => allow() };
// A warning JSON cannot hold: the reply's serialization throws.
const unserializable: AdmissionHandler = { name: "bigint", kind: "validating", failurePolicy: "Fail", timeoutSeconds: 2, handle: () => allow({ warnings: [1n as unknown as string] }) };
// Answers when the test says so: a review in flight while the server starts closing.
let release: () => void = () => {};
let held: () => void = () => {};
const heldReview = new Promise<void>((resolve) => (held = resolve));
const hold: AdmissionHandler = {
  name: "hold",
  kind: "validating",
  failurePolicy: "Fail",
  timeoutSeconds: 10,
  handle: () => {
    held();
    return new Promise((resolve) => (release = () => resolve(allow())));
  },
};

describe("the admission routes at their edges", () => {
  let dir: string;
  let app: FastifyInstance;
  let url: string;
  let port: number;
  let ca: string;
  const metrics = new Metrics();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "podgate-route-"));
    await ensureLocalCertificates(dir);
    ca = await readFile(join(dir, "ca.crt"), "utf8");
    app = await buildApp({
      server: serverConfig.parse({ bodyLimitBytes: LIMIT, logLevel: "silent" }),
      tls: await loadTls(dir),
      served: new ServedConfig({ mutating: [], validating: [allowAll, unserializable, hold], retire: () => {} }),
      metrics,
      readiness: new Readiness(),
      logger: false,
    });
    await app.listen({ port: 0, host: "127.0.0.1" });
    port = (app.server.address() as { port: number }).port;
    url = `https://127.0.0.1:${port}`;
  });
  after(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers a review; an unknown webhook name and other paths get 404 naming what exists", async () => {
    const review = fixture("admission/create-pod.json");
    const res = await post(`${url}/validate/allow-all?timeout=10s`, ca, review);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.response, { uid: review.request.uid, allowed: true });
    const unknown = await post(`${url}/validate/nope`, ca, review);
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.message, /no validating webhook "nope"; enabled: allow-all, bigint, hold/);
    assert.equal((await post(`${url}/validated`, ca, review)).status, 404);
    assert.equal((await post(`${url}/validate/a/b`, ca, review)).status, 404);
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

  it("answers 503 naming the shutdown to a review that arrives once the server is closing", async () => {
    // One connection kept open by a held review; the second review is sent on it once the server is closing.
    const body = JSON.stringify(fixture("admission/create-pod.json"));
    const head = (path: string) => `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    const socket = connect({ host: "127.0.0.1", port, ca, servername: "localhost" });
    await once(socket, "secureConnect");
    let text = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    socket.write(head("/validate/hold"));
    await heldReview;
    const closed = app.close();
    // The server stops listening after the close hooks ran: from then on the app is closing.
    while (app.server.listening) await new Promise((resolve) => setTimeout(resolve, 5));
    socket.write(head("/validate/allow-all"));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    await once(socket, "close");
    await closed;
    const replies = text.split(/(?=HTTP\/1\.1 )/);
    assert.equal(replies.length, 2, text);
    assert.ok(replies.some((r) => /^HTTP\/1\.1 200/.test(r)), "the held review is answered");
    const refused = replies.find((r) => /^HTTP\/1\.1 503/.test(r));
    assert.match(refused ?? text, /podgate is shutting down/);
    assert.match(refused ?? text, /connection: close/i);
  });
});

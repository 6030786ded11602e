// HTTP/2 on the serving port: Go's client (kube-scheduler's extender calls)
// offers h2 and then multiplexes every call on one connection. Over a real
// h2 session: admission and Fastify routes answer, a refusal ends its stream
// and not the session, an idle session is closed, and a graceful stop lets
// the stream in flight finish and refuses new ones.
import assert from "node:assert/strict";
import { connect, type ClientHttp2Session } from "node:http2";
import { after, before, describe, it } from "node:test";
import { allow, type AdmissionHandler } from "../../src/admission/handler.ts";
import { slowValidator } from "../support/admission.ts";
import { fixture } from "../support/fixtures.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const allowAll: AdmissionHandler = { name: "allow-all", kind: "validating", failurePolicy: "Fail", timeoutSeconds: 2, handle: () => allow() };

interface Reply {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly text: string;
}

function h2request(session: ClientHttp2Session, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ":method": method, ":path": path, ...(body === undefined ? {} : { "content-type": "application/json" }) });
    let headers: Record<string, unknown> = {};
    let text = "";
    stream.setEncoding("utf8");
    stream.on("response", (h) => (headers = h));
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("end", () => resolve({ status: Number(headers[":status"]), headers, text }));
    stream.on("error", reject);
    stream.end(body);
  });
}

function open(server: TestServer): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(server.url, { ca: server.ca });
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  });
}

describe("HTTP/2 clients", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ server: { bodyLimitBytes: 64 * 1024, keepAliveTimeoutSeconds: 1 }, validating: [allowAll, slowValidator(400)] });
  });
  after(() => server.close());

  it("answers admission reviews and Fastify's routes on one session, concurrently", async () => {
    const session = await open(server);
    try {
      assert.equal(session.alpnProtocol, "h2");
      const review = fixture("admission/create-pod.json");
      const replies = await Promise.all([
        ...Array.from({ length: 20 }, () => h2request(session, "POST", "/validate/allow-all?timeout=10s", JSON.stringify(review))),
        h2request(session, "GET", "/healthz"),
        h2request(session, "GET", "/nope"),
      ]);
      for (const reply of replies.slice(0, 20)) {
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(JSON.parse(reply.text).response, { uid: review.request.uid, allowed: true });
      }
      assert.equal(replies[20]!.status, 200);
      assert.equal(replies[21]!.status, 404);
    } finally {
      session.close();
    }
  });

  it("refuses a body past the limit on its stream only: the session serves the next one", async () => {
    const session = await open(server);
    try {
      const refused = await h2request(session, "POST", "/validate", JSON.stringify({ pad: "x".repeat(100 * 1024) }));
      assert.equal(refused.status, 413);
      assert.equal(refused.headers["connection"], undefined);
      assert.match(JSON.parse(refused.text).message, /too large/);
      const next = await h2request(session, "POST", "/validate/allow-all", JSON.stringify(fixture("admission/create-pod.json")));
      assert.equal(next.status, 200);
    } finally {
      session.close();
    }
  });

  it("keeps a session that stays busy past the keep-alive timeout", async () => {
    const session = await open(server);
    try {
      const review = JSON.stringify(fixture("admission/create-pod.json"));
      for (let i = 0; i < 8; i++) {
        assert.equal((await h2request(session, "POST", "/validate/allow-all", review)).status, 200, `request ${i}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      session.close();
    }
  });

  it("closes a session idle for the keep-alive timeout", async () => {
    const session = await open(server);
    const closed = new Promise<void>((resolve) => session.once("close", () => resolve()));
    const started = Date.now();
    await closed;
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 5000, `closed after ${waited} ms`);
  });
});

describe("HTTP/2 and a graceful stop", () => {
  it("lets the stream in flight finish, refuses new streams, and stops", async () => {
    const server = await startTestServer({ validating: [slowValidator(400)] });
    const session = await open(server);
    const review = JSON.stringify(fixture("admission/create-pod.json"));
    const inFlight = h2request(session, "POST", "/validate/slow", review);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stopped = server.close();
    const reply = await inFlight;
    assert.equal(reply.status, 200);
    assert.equal(JSON.parse(reply.text).response.allowed, true);
    await assert.rejects(h2request(session, "POST", "/validate/slow", review));
    await stopped;
    session.destroy();
  });
});

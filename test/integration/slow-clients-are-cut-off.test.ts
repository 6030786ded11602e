// Slow and idle clients cannot hold sockets: a TCP connection that never
// handshakes (headersTimeout), headers sent byte by byte (headersTimeout), a
// body that trickles (requestTimeout) and a TLS connection that never sends
// a request (keepAliveTimeout) are cut off at their deadlines (checked every
// second), while a normal client is answered meanwhile.
import assert from "node:assert/strict";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { after, before, test } from "node:test";
import { post } from "../../src/harness/https.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

let server: TestServer;
let port: number;
before(async () => {
  server = await startTestServer({ server: { headersTimeoutSeconds: 1, requestTimeoutSeconds: 2, keepAliveTimeoutSeconds: 1 } });
  port = Number(new URL(server.url).port);
});
after(() => server.close());

/** Resolves to how long the server kept the socket open. */
function closedAfter(socket: Socket, started: number): Promise<number> {
  socket.on("error", () => {});
  return new Promise((resolve) => socket.on("close", () => resolve(Date.now() - started)));
}

function trickle(socket: Socket, text: string, everyMs: number): () => void {
  let i = 0;
  const timer = setInterval(() => i < text.length && socket.write(text[i++]!), everyMs);
  return () => clearInterval(timer);
}

test("slow and idle sockets are closed at their deadlines while others are served", async () => {
  const started = Date.now();
  const tls = () => tlsConnect({ port, host: "127.0.0.1", ca: server.ca, servername: "localhost" });
  const noHandshake = closedAfter(netConnect(port, "127.0.0.1"), started);
  const slowHeaders = tls();
  const stopHeaders = trickle(slowHeaders, "POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: 1\r\n", 200);
  const slowBody = tls();
  slowBody.once("secureConnect", () => slowBody.write("POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"));
  const stopBody = trickle(slowBody, "{".repeat(1000), 200);
  let bodyReply = "";
  slowBody.on("data", (d: Buffer) => (bodyReply += d.toString()));
  const idle = tls();

  // Meanwhile a normal client is answered promptly.
  const normal = await post(`${server.url}/healthz`, server.ca, "", { method: "GET" });
  assert.equal(normal.status, 200);

  const [tcp, headers, body, idleMs] = await Promise.all([noHandshake, closedAfter(slowHeaders, started), closedAfter(slowBody, started), closedAfter(idle, started)]);
  stopHeaders();
  stopBody();
  // Deadlines (1 s handshake/headers, 2 s request) plus up to 1 s for the periodic check, with slack for a
  // busy machine; Node's defaults would have held them 120 s (handshake) or 30 s (checks).
  assert.ok(tcp < 5000, `no handshake: closed after ${tcp} ms`);
  assert.ok(headers < 6000, `slow headers: closed after ${headers} ms`);
  assert.ok(body < 8000, `slow body: closed after ${body} ms`);
  assert.match(bodyReply, /^HTTP\/1\.1 408/);
  assert.ok(idleMs < 6000, `idle TLS socket: closed after ${idleMs} ms`);
});

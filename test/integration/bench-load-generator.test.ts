// The load generator against a real HTTPS server on loopback: exact counts,
// bounds, status errors, open-loop pacing, and the loopback-only rule.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runLoad } from "../../bench/load/client.ts";
import { ensureLocalCertificates, TLS_FILES } from "../../src/server/tls.ts";

describe("bench load generator", () => {
  let dir: string;
  let ca: string;
  let server: Server;
  let port: number;
  const seen: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "podgate-load-"));
    await ensureLocalCertificates(dir);
    const [cert, key] = await Promise.all([readFile(join(dir, TLS_FILES.cert), "utf8"), readFile(join(dir, TLS_FILES.key), "utf8")]);
    ca = await readFile(join(dir, TLS_FILES.ca), "utf8");
    server = createServer({ cert, key }, (request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        seen.push(`${request.url} ${Buffer.concat(chunks).toString()}`);
        response.statusCode = request.url === "/fail" ? 500 : 200;
        response.end(request.url === "/fail" ? "no" : "{}");
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as { port: number }).port;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it("stops at maxOps, sends each operation's steps in order, and measures every one", async () => {
    seen.length = 0;
    const result = await runLoad({ host: "127.0.0.1", port, ca, connections: 4, durationMs: 10_000, maxOps: 50, steps: [{ path: "/a", body: "1" }, { path: "/b", body: "2" }] });
    assert.equal(result.ops, 50);
    assert.equal(result.errors, 0);
    assert.equal(seen.length, 100);
    assert.equal(seen.filter((s) => s === "/a 1").length, 50);
    assert.ok(result.latency.p50 > 0 && result.latency.p50 <= result.latency.p99 && result.latency.p99 <= result.latency.max);
    assert.ok(result.elapsedMs < 10_000);
  });

  it("counts non-200 replies as errors with a sample, never as operations", async () => {
    const result = await runLoad({ host: "127.0.0.1", port, ca, connections: 2, durationMs: 10_000, maxOps: 10, steps: [{ path: "/fail", body: "" }] });
    assert.equal(result.ops, 0);
    assert.equal(result.errors, 10);
    assert.match(result.errorSamples[0]!, /^status 500: no/);
  });

  it("open loop offers the asked rate for the asked time, then stops", async () => {
    const result = await runLoad({ host: "127.0.0.1", port, ca, connections: 4, rate: 200, durationMs: 500, maxOps: 1_000, steps: [{ path: "/a", body: "" }] });
    assert.equal(result.errors, 0);
    assert.equal(result.unsent, 0);
    assert.ok(result.ops >= 90 && result.ops <= 101, `${result.ops} operations in 500 ms at 200/s`);
    assert.equal(result.offeredRate, 200);
  });

  it("refuses any host but 127.0.0.1", async () => {
    await assert.rejects(runLoad({ host: "10.0.0.1" as "127.0.0.1", port, ca, connections: 1, durationMs: 100, maxOps: 1, steps: [{ path: "/", body: "" }] }), /127\.0\.0\.1/);
  });
});

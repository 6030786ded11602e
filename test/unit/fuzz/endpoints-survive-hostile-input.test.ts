// A few thousand hostile inputs through every admission and extender route
// of the real app (Fastify inject): no crash, no unhandled rejection, every
// reply right by the oracle, none past its deadline, the heap flat.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fuzzEndpoint, injectSender, settledHeap, trapFaults } from "../../fuzz/run.ts";
import { buildTarget, type Target } from "../../fuzz/target.ts";

const CASES = 400;
let target: Target;
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "podgate-fuzz-"));
  target = await buildTarget(dir);
});
after(async () => {
  await target.app.close();
  await rm(dir, { recursive: true, force: true });
});

test("every route answers hostile input rightly, within its deadline, with the heap flat", async () => {
  const trap = trapFaults();
  const send = injectSender(target.app);
  // One warm-up pass fills caches (compiled CEL, validated nodes) that are not leaks.
  for (const endpoint of target.endpoints) await fuzzEndpoint(endpoint, send, { cases: 50, seed: 99 });
  const heapBefore = settledHeap();
  try {
    for (const endpoint of target.endpoints) {
      // A fresh seed each run widens coverage over time; a failure names it (FUZZ_SEED=n reproduces).
      const seed = Number(process.env["FUZZ_SEED"] ?? Date.now() % 1_000_000);
      const figures = await fuzzEndpoint(endpoint, send, { cases: CASES, seed });
      const detail = `seed ${seed}\n${JSON.stringify(figures.failures, null, 1)}`;
      assert.equal(figures.crashes, 0, `${endpoint.path}: crashes\n${detail}`);
      assert.equal(figures.wrong, 0, `${endpoint.path}: wrong replies\n${detail}`);
      assert.equal(figures.late, 0, `${endpoint.path}: replies past the deadline\n${detail}`);
      assert.ok((figures.statuses["200"] ?? 0) > CASES / 10, `${endpoint.path}: too few inputs got through to the handlers: ${JSON.stringify(figures.statuses)}`);
      assert.ok((figures.statuses["400"] ?? 0) > CASES / 10, `${endpoint.path}: too few inputs were refused: ${JSON.stringify(figures.statuses)}`);
    }
  } finally {
    trap.remove();
  }
  assert.deepEqual(trap.faults, []);
  const growth = settledHeap() - heapBefore;
  assert.ok(growth < 16 * 2 ** 20, `heap grew by ${Math.round(growth / 2 ** 20)} MiB`);
});

// Hostile inputs over real HTTPS with keep-alive: a broken request never
// takes the connection or the server down for the next one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runFuzzSuite, suiteFailures } from "../fuzz/suite.ts";

test("every route answers hostile input over HTTPS rightly", async () => {
  const figures = await runFuzzSuite({ cases: 0, httpsCases: 100, loaderCases: 0, seed: Number(process.env["FUZZ_SEED"] ?? Date.now() % 1_000_000) });
  assert.deepEqual(suiteFailures(figures), []);
  const https = figures.endpoints.filter((e) => e.transport === "https");
  assert.equal(https.length, 9);
  for (const e of https) assert.equal(e.inputs, 100);
});

// The sidecar and defaults webhooks declare leavesInputIntact, so the runner
// hands them the review's own object without a defensive copy. Frozen inputs
// prove the claim: an edit in place throws in these (strict-mode) modules.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import type { KubeObject } from "../../../src/admission/review.ts";
import { registry } from "../../../src/wiring.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { podRequest } from "../../support/admission.ts";

const dir = new URL("../../fixtures/mutating/", import.meta.url);
const config = parseConfig(readFileSync(new URL("config.yaml", dir), "utf8"), registry, "config.yaml");
const cases = readdirSync(dir).filter((f) => f.endsWith(".yaml") && !f.endsWith(".injected.yaml") && f !== "config.yaml");
const context = { signal: new AbortController().signal, dryRun: false };

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

describe("mutators that declare leavesInputIntact", () => {
  it("are the sidecar and defaults webhooks", () => {
    assert.deepEqual(config.mutating.map((h) => [h.name, h.leavesInputIntact]), [["sidecar", true], ["defaults", true]]);
  });

  for (const file of cases) {
    it(`${file}: each mutator, fed frozen input along the chain, decides exactly as on a mutable copy`, async () => {
      let object = parse(readFileSync(new URL(file, dir), "utf8")) as KubeObject;
      for (const handler of config.mutating) {
        const frozen = await handler.handle(podRequest(deepFreeze(structuredClone(object))), context);
        const mutable = await handler.handle(podRequest(structuredClone(object)), context);
        assert.deepEqual(frozen, mutable, handler.name);
        object = frozen.object ?? object;
      }
    });
  }
});

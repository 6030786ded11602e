// Mutated config files and library policies either load or are refused
// with ConfigError / PolicyError problems naming the key path (or YAML
// line) — never a raw exception.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzConfigLoader, fuzzPolicyLoader, renderPath } from "../../fuzz/loaders.ts";

const CASES = 600;
const seed = Number(process.env["FUZZ_SEED"] ?? Date.now() % 1_000_000);

for (const [name, fuzz] of [["config", fuzzConfigLoader], ["policy", fuzzPolicyLoader]] as const) {
  test(`the ${name} loader refuses hostile files with located problems only (seed ${seed})`, () => {
    const figures = fuzz(CASES, seed);
    const detail = JSON.stringify(figures.failures, null, 1);
    assert.equal(figures.crashes, 0, detail);
    assert.equal(figures.unlocated, 0, detail);
    assert.ok(figures.refused > CASES / 4 && figures.accepted > 0, `mutations should both pass and fail: ${JSON.stringify(figures)}`);
  });
}

test("key paths render as the loaders print them", () => {
  assert.equal(renderPath(["admission", "mutating", 0, "settings"]), "admission.mutating[0].settings");
});

// Golden fixtures (Istio's testdata/*.injected style): each <case>.yaml pod goes
// through the webhooks its name picks, the patch is applied to it, and the
// result must equal <case>.injected.yaml; a second pass must patch nothing.
// UPDATE_GOLDEN=1 rewrites the expected files.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { registry } from "../../../src/wiring.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { mutatePod } from "../../support/admission.ts";

const dir = new URL("../../fixtures/mutating/", import.meta.url);
const config = parseConfig(readFileSync(new URL("config.yaml", dir), "utf8"), registry, "config.yaml");
const chains = {
  sidecar: config.mutating.filter((h) => h.name === "sidecar"),
  defaults: config.mutating.filter((h) => h.name === "defaults"),
  chain: config.mutating,
};
const cases = readdirSync(dir).filter((f) => f.endsWith(".yaml") && !f.endsWith(".injected.yaml") && f !== "config.yaml").map((f) => f.slice(0, -".yaml".length));

/** The report lines kept as a comment header, so the golden file also pins what kubectl and the audit log see. */
function header(warnings: readonly string[], audit: Readonly<Record<string, string>>): string {
  const lines = [...Object.entries(audit).map(([k, v]) => `# audit ${k}: ${v}`), ...warnings.map((w) => `# warning: ${w}`)];
  return lines.map((l) => `${l}\n`).join("");
}

describe("golden mutating fixtures", () => {
  it("has a case for every webhook chain", () => {
    for (const prefix of Object.keys(chains)) assert.ok(cases.some((c) => c.startsWith(`${prefix}-`)), `no ${prefix}-* case`);
  });

  for (const name of cases) {
    it(`${name}: the patched pod matches ${name}.injected.yaml and a second pass patches nothing`, async () => {
      const prefix = name.split("-")[0] as keyof typeof chains;
      const handlers = chains[prefix];
      assert.ok(handlers, `case ${name} must start with one of ${Object.keys(chains).join(", ")}`);
      const input = parse(readFileSync(new URL(`${name}.yaml`, dir), "utf8"));
      const first = await mutatePod(handlers, input);
      assert.equal(first.allowed, true);
      const expectedFile = new URL(`${name}.injected.yaml`, dir);
      const text = header(first.warnings, first.auditAnnotations) + stringify(first.result);
      if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(expectedFile, text);
      const expected = readFileSync(expectedFile, "utf8");
      assert.deepEqual(first.result, parse(expected));
      assert.equal(text.split("\n").filter((l) => l.startsWith("# ")).join("\n"), expected.split("\n").filter((l) => l.startsWith("# ")).join("\n"));
      const second = await mutatePod(handlers, first.result);
      assert.deepEqual(second.patch, [], "reinvocation must yield an empty patch");
    });
  }
});

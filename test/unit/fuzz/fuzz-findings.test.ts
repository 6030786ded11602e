// Inputs the fuzzer found that podgate answered wrongly, each pinned to its fix.
import assert from "node:assert/strict";
import { test } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { describeIssue } from "../../../src/issues.ts";
import { ConfigError, decodeYaml, parseConfig } from "../../../src/config/load.ts";
import { extenderArgs, extenderPreemptionArgs, parseWire } from "../../../extender/wire.ts";
import { PolicyError } from "../../../webhooks/policy/declarative.ts";
import { readYamlDocuments } from "../../../webhooks/policy/load.ts";
import type { z } from "zod";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTarget } from "../../fuzz/target.ts";

const SIDECAR = `admission:
  mutating:
    - name: sidecar
      type: sidecar
      settings:
        defaultTemplate: proxy
        templates:
          proxy:
            values:
              port: { type: string, default: "x", pattern: PATTERN }
            containers: [{ name: proxy, image: "proxy:1" }]
`;

test("a sidecar value pattern too large to compile is a config error, not a SyntaxError at first use", () => {
  assert.throws(
    () => parseConfig(SIDECAR.replace("PATTERN", "x".repeat(1_000_000)), registry),
    (error: unknown) => error instanceof ConfigError && error.problems.some((p) => /templates\.proxy\.values\.port\.pattern: expected a valid regular expression/.test(p)),
  );
});

test("an empty node name in NodeNames is refused (prioritize answered Host \"\")", () => {
  const parsed = parseWire(extenderArgs, { Pod: {}, NodeNames: ["node-a", ""] });
  assert.deepEqual(parsed.ok ? "accepted" : parsed.field, "NodeNames[1]");
});

test("a negative NumPDBViolations is refused (preempt echoed it)", () => {
  const parsed = parseWire(extenderPreemptionArgs, { Pod: {}, NodeNameToMetaVictims: { "node-a": { Pods: [{ UID: "u" }], NumPDBViolations: -1 } } });
  assert.deepEqual(parsed.ok ? "accepted" : parsed.field, "NodeNameToMetaVictims.node-a.NumPDBViolations");
});

test("a YAML alias before its anchor is a loader error naming the file, not a raw ReferenceError", () => {
  assert.throws(() => readYamlDocuments("p.yaml", "a: *b\nb: &b 1\n"), (error: unknown) => error instanceof PolicyError && /^p\.yaml: /.test(error.problems[0] ?? ""));
  assert.throws(() => decodeYaml("a: *b\nb: &b 1\n", "c.yaml"), (error: unknown) => error instanceof ConfigError && /c\.yaml/.test(error.message));
});

test("a key with a newline is named on one line", () => {
  const issue = { code: "custom", path: ["a", "x\ny"], message: "unknown key", input: undefined } as z.core.$ZodIssue;
  assert.equal(describeIssue(issue).message, "a.x\\u000ay: unknown key");
});

test("refusals on unknown URLs share one metric series (each URL was a new series: unbounded memory)", async () => {
  const dir = await mkdtemp(join(tmpdir(), "podgate-fuzz-"));
  const target = await buildTarget(dir);
  try {
    for (let i = 0; i < 5; i++) await target.app.inject({ method: "POST", url: `/nope/${i}?x=${i}`, payload: "{bad", headers: { "content-type": "application/json" } });
    const text = await target.metrics.registry.getSingleMetricAsString("podgate_rejected_requests_total");
    assert.match(text, /route="\(unmatched\)",status="400"} 5/);
    assert.doesNotMatch(text, /nope/);
  } finally {
    await target.app.close();
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { z } from "zod";
import { allow } from "../../../src/admission/handler.ts";
import { ConfigError, buildConfig, parseConfig, type ConfigRegistry } from "../../../src/config/load.ts";
import { loadConfig } from "../../../src/config/default.ts";
import { registry as builtins } from "../../../src/wiring.ts";

const registry: ConfigRegistry = {
  webhookTypes: [
    {
      type: "stamp",
      kind: "mutating",
      description: "test type",
      settings: z.strictObject({ label: z.string().min(1) }),
      create: (identity) => ({ ...identity, kind: "mutating", handle: () => allow() }),
    },
  ],
  sections: { extra: () => z.strictObject({ on: z.boolean().default(false) }).prefault({}) },
};

function problems(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("expected a ConfigError");
}

describe("config loading", () => {
  it("fills defaults for an empty file", () => {
    const config = parseConfig("", registry);
    assert.equal(config.server.port, 8443);
    assert.equal(config.server.host, "127.0.0.1");
    assert.equal(config.server.metrics.port, 9090);
    assert.equal(config.server.bodyLimitBytes, 8 * 1024 * 1024);
    assert.ok(config.server.keepAliveTimeoutSeconds > 90, "outlives Go clients' 90 s idle connections");
    assert.deepEqual(config.sections, { extra: { on: false } });
  });

  it("builds handlers from typed entries with their failure policy and timeout", () => {
    const config = parseConfig(
      "admission:\n  mutating:\n    - {name: stamp-it, type: stamp, failurePolicy: Ignore, timeoutSeconds: 3, settings: {label: x}}\n",
      registry,
    );
    assert.equal(config.mutating.length, 1);
    assert.deepEqual([config.mutating[0]!.name, config.mutating[0]!.failurePolicy, config.mutating[0]!.timeoutSeconds], ["stamp-it", "Ignore", 3]);
  });

  it("skips disabled entries but still validates them", () => {
    const config = parseConfig("admission:\n  mutating:\n    - {name: off, type: stamp, enabled: false, settings: {label: x}}\n", registry);
    assert.equal(config.mutating.length, 0);
    assert.deepEqual(problems(() => parseConfig("admission:\n  mutating:\n    - {name: off, type: stamp, enabled: false, settings: {}}\n", registry)), [
      "admission.mutating[0].settings.label: Invalid input: expected string, received undefined",
    ]);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["an unknown top-level key", "sever: {}\n", /^sever: unknown key$/],
    ["an unknown nested key", "server:\n  metrics: {prot: 1}\n", /^server\.metrics\.prot: unknown key$/],
    ["a wrong type", "server: {port: eighty}\n", /^server\.port: .*expected number/],
    ["a port out of range", "server: {port: 70000}\n", /^server\.port: /],
    ["an unknown webhook type", "admission:\n  mutating: [{name: a, type: nope}]\n", /^admission\.mutating\[0\]\.type: unknown mutating webhook type "nope"; expected one of: stamp$/],
    ["a type of the wrong kind", "admission:\n  validating: [{name: a, type: stamp}]\n", /^admission\.validating\[0\]\.type: unknown validating webhook type/],
    ["an invalid webhook name", "admission:\n  mutating: [{name: Not_A_Label, type: stamp, settings: {label: x}}]\n", /^admission\.mutating\[0\]\.name: must be a DNS label/],
    ["a duplicate webhook name", "admission:\n  mutating: [{name: a, type: stamp, settings: {label: x}}, {name: a, type: stamp, settings: {label: y}}]\n", /^admission\.mutating\[1\]\.name: duplicate/],
    ["a timeout above 30", "admission:\n  mutating: [{name: a, type: stamp, timeoutSeconds: 31, settings: {label: x}}]\n", /^admission\.mutating\[0\]\.timeoutSeconds: /],
    ["an unknown settings key", "admission:\n  mutating: [{name: a, type: stamp, settings: {label: x, colour: red}}]\n", /^admission\.mutating\[0\]\.settings\.colour: unknown key$/],
    ["a bad extra section", "extra: {on: maybe}\n", /^extra\.on: /],
    ["a duplicate YAML key", "server: {port: 1}\nserver: {port: 2}\n", /unique|duplicate/i],
    ["malformed YAML", "server: [\n", /./],
  ];
  for (const [what, text, expected] of bad) {
    it(`rejects ${what}, naming the key path`, () => {
      const found = problems(() => parseConfig(text, registry));
      assert.ok(found.some((p) => expected.test(p)), `got: ${found.join(" | ")}`);
    });
  }

  it("treats a non-object document as an error, not a crash", () => {
    assert.ok(problems(() => buildConfig([1, 2], registry)).length > 0);
  });

  it("the embedded default config is valid and command-line flags override it", async () => {
    const config = await loadConfig({ serverOverrides: { port: 9443, metrics: { port: 0 } } }, builtins);
    assert.equal(config.server.port, 9443);
    assert.equal(config.server.metrics.port, 0);
    assert.equal(config.server.metrics.host, "127.0.0.1");
  });

  it("reports every problem in one run: the schema's, and each webhook's settings, even of an entry the schema refused", () => {
    const text = `server: {port: 99999}
admission:
  mutating:
    - {name: a, type: stamp, timeoutSeconds: 99, settings: {lable: x}}
    - {name: b, type: stamp, settings: {label: x}}
    - {name: c, type: nope}
extra: {on: maybe}
`;
    assert.deepEqual(problems(() => parseConfig(text, registry)), [
      "server.port: Too big: expected number to be <=65535",
      "admission.mutating[0].timeoutSeconds: Too big: expected number to be <=30",
      "extra.on: Invalid input: expected boolean, received string",
      "admission.mutating[0].settings.label: Invalid input: expected string, received undefined",
      "admission.mutating[0].settings.lable: unknown key",
      'admission.mutating[2].type: unknown mutating webhook type "nope"; expected one of: stamp',
    ]);
  });

  it("a flag does not hide an invalid value in the file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-config-"));
    try {
      const path = join(dir, "podgate.yaml");
      await writeFile(path, "server: {port: 99999, logLevl: info}\n");
      await assert.rejects(loadConfig({ path, serverOverrides: { port: 9443 } }, builtins), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, ["server.port: Too big: expected number to be <=65535", "server.logLevl: unknown key"]);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("a flag that breaks validation is reported with its key path", async () => {
    await assert.rejects(loadConfig({ serverOverrides: { logLevel: "loud" } }, builtins), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.problems[0]!, /^server\.logLevel: /);
      return true;
    });
  });
});

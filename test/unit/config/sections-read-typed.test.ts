// A config section beside server and admission is defined once (defineSection),
// checked when the config loads, and read back typed, by the built-ins and by a
// program's own.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildConfig, ConfigError } from "../../../src/config/load.ts";
import { defineSection } from "../../../src/config/section.ts";
import { certificates } from "../../../src/certs/config.ts";
import { builtinRegistry, extenderConfigOf } from "../../../src/wiring.ts";
import { z } from "../../../src/index.ts";

const audit = defineSection("audit", ({ baseDir }) => z.strictObject({ sink: z.string(), batch: z.number().int().positive().default(100) }).transform((s) => ({ ...s, dir: baseDir })).prefault({ sink: "stdout" }));

describe("config sections", () => {
  it("a program's own section is checked at load, with its defaults, and read typed", () => {
    const registry = builtinRegistry().section(audit);
    const section = audit.of(buildConfig({ audit: { sink: "https://audit.example" } }, registry, "(t)", "/etc/podgate"));
    const batch: number = section.batch;
    assert.deepEqual(section, { sink: "https://audit.example", batch: 100, dir: "/etc/podgate" });
    assert.equal(batch, 100);
    assert.deepEqual(audit.of(buildConfig({}, registry)), { sink: "stdout", batch: 100, dir: process.cwd() });
    assert.throws(() => buildConfig({ audit: { sink: "x", batches: 5 } }, registry), (error: unknown) => error instanceof ConfigError && error.problems.includes("audit.batches: unknown key"));
  });

  it("the built-ins read theirs the same way", () => {
    const config = buildConfig({ certificates: { mode: "files" }, extender: { urlPrefix: "/scheduler" } }, builtinRegistry());
    assert.deepEqual(certificates.of(config), { mode: "files" });
    assert.equal(extenderConfigOf(config).urlPrefix, "/scheduler");
  });

  it("a name is registered once, and never one of the config's own keys", () => {
    assert.throws(() => builtinRegistry().section(audit).section(audit), /config section "audit" already exists/);
    assert.throws(() => builtinRegistry().section(defineSection("server", () => z.object({}))), /config section "server" already exists/);
  });

  it("reading a section the loading registry did not know is an error, not undefined", () => {
    assert.throws(() => audit.of(buildConfig({}, builtinRegistry())), /config section "audit" was not registered with the registry that loaded this config/);
  });
});

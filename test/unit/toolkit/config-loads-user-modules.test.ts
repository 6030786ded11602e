import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { extenderConfigOf, registry } from "../../../src/wiring.ts";
import { loadConfig } from "../../../src/config/default.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { runMutating, runValidating } from "../../../src/admission/run.ts";
import { createPodgate, defineMutatingWebhook, definePlugin, z } from "../../../src/index.ts";
import { admissionRequestFor } from "../../../src/testing.ts";

const FIXTURES = new URL("../../fixtures/toolkit/", import.meta.url).pathname;
const aPod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "app", image: "nginx:1" }] } };

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  assert.fail("expected a ConfigError");
}

let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "podgate-modules-"));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("a config that names users' modules", () => {
  it("loads the webhook, policy and plugin modules relative to the config file, not the working directory", async () => {
    const cwd = process.cwd();
    process.chdir(scratch);
    try {
      const config = await loadConfig({ path: join(FIXTURES, "podgate.yaml") }, registry);
      const mutated = await runMutating(config.mutating, admissionRequestFor(aPod));
      assert.deepEqual(JSON.parse(Buffer.from(mutated.response.patch!, "base64").toString()), [{ op: "add", path: "/metadata/labels", value: { team: "payments" } }]);
      const denied = await runValidating(config.validating, admissionRequestFor({ ...aPod, spec: { ...aPod.spec, hostNetwork: true } }));
      assert.match(denied.response.status?.message ?? "", /hostNetwork is not allowed/);
      const extender = extenderConfigOf(config);
      assert.deepEqual(extender.framework.filters.map((f) => f.name), ["zone"]);
    } finally {
      process.chdir(cwd);
    }
  });

  it("checks a module's settings by the schema it exports, naming the key path", () => {
    assert.deepEqual(problems(() => parseConfig("admission: {mutating: [{name: team, module: team-label.ts, settings: {team: 7}}]}", registry, "podgate.yaml", FIXTURES)), [
      "admission.mutating[0].settings.team: Invalid input: expected string, received number",
    ]);
    assert.deepEqual(
      problems(() => parseConfig("extender: {prioritize: false, plugins: [{name: zone, module: zone-label.ts, settings: {zone: a, extra: 1}}]}", registry, "podgate.yaml", FIXTURES)),
      ["extender.plugins[0].settings.extra: unknown key"],
    );
  });

  it("says what a module exports when it is not what the entry needs, and when it is missing", () => {
    const found = problems(() =>
      parseConfig(`admission: {validating: [{name: a, module: team-label.ts}, {name: b, module: nope.ts}]}`, registry, "podgate.yaml", FIXTURES),
    );
    assert.equal(found.length, 2);
    assert.match(found[0]!, /^admission\.validating\[0\]\.module: .*team-label\.ts: expected its default export to be a validating webhook \(defineValidatingWebhook\), found a mutating webhook \(defineMutatingWebhook\)$/);
    assert.match(found[1]!, /^admission\.validating\[1\]\.module: .*nope\.ts: cannot load module: no such file$/);
  });

  it("names what is registered when a type or plugin is unknown, and wants exactly one of type and module", () => {
    assert.deepEqual(problems(() => parseConfig("admission: {mutating: [{name: a, type: stamp}, {name: b}]}", registry)), [
      'admission.mutating[0].type: unknown mutating webhook type "stamp"; expected one of: policy, sidecar, defaults',
      "admission.mutating[1]: give either type (registered mutating webhooks: policy, sidecar, defaults) or module (a file exporting a mutating webhook), not neither",
    ]);
    assert.deepEqual(problems(() => parseConfig("extender: {plugins: [{name: gpu}]}", registry)), [
      'extender.plugins[0].name: unknown plugin "gpu"; expected one of: resource-fit, node-rules, least-allocated, balanced-allocation, zone-spread (or give module: a file exporting a plugin)',
    ]);
  });

  it("explains, instead of a bare syntax error, a TypeScript module with ES syntax in a CommonJS project", async () => {
    const project = join(scratch, "commonjs");
    await rm(project, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(project));
    await writeFile(join(project, "package.json"), JSON.stringify({ type: "commonjs" }));
    await writeFile(join(project, "hook.ts"), "export default { name: 'x' };\n");
    const [problem] = problems(() => parseConfig("admission: {mutating: [{name: a, module: hook.ts}]}", registry, "podgate.yaml", project));
    assert.match(problem!, /hook\.ts: uses ES module syntax \(import\/export\), but the nearest package\.json makes Node load it as CommonJS; rename it to \.mts or set "type": "module"$/);
  });

  it("loads a CommonJS module's module.exports", async () => {
    const project = join(scratch, "cjs-exports");
    await import("node:fs/promises").then((fs) => fs.mkdir(project, { recursive: true }));
    await writeFile(join(project, "package.json"), JSON.stringify({ type: "commonjs" }));
    const api = new URL("../../../src/index.ts", import.meta.url).pathname;
    await writeFile(join(project, "hook.js"), `const { defineMutatingWebhook } = require(${JSON.stringify(api)});\nmodule.exports = defineMutatingWebhook({ mutate: ({ object }) => ({ ...object, cjs: true }) });\n`);
    const config = parseConfig("admission: {mutating: [{name: a, module: hook.js}]}", registry, "podgate.yaml", project);
    const result = await runMutating(config.mutating, admissionRequestFor(aPod));
    assert.deepEqual(JSON.parse(Buffer.from(result.response.patch!, "base64").toString()), [{ op: "add", path: "/cjs", value: true }]);
  });
});

describe("registering definitions", () => {
  it("registers the built-ins through register(), as a program registers its own", async () => {
    assert.deepEqual(registry.webhookTypes.map((t) => `${t.kind}/${t.type}`), ["validating/policy", "mutating/policy", "mutating/sidecar", "mutating/defaults"]);
    const stamp = defineMutatingWebhook({ type: "stamp", mutate: ({ object }) => ({ ...object, stamped: true }) });
    const gpu = definePlugin({ name: "gpu", description: "", settings: z.strictObject({}), create: () => ({ filter: () => undefined }) });
    const podgate = createPodgate(stamp, gpu);
    const config = await podgate.load({ config: { admission: { mutating: [{ name: "s", type: "stamp" }] }, extender: { prioritize: false, plugins: [{ name: "gpu" }] } } });
    assert.equal(config.mutating[0]?.name, "s");
    assert.deepEqual(extenderConfigOf(config).framework.filters.map((f) => f.name), ["gpu"]);
    // The shared built-in registry is untouched by a program's own.
    assert.equal(registry.webhookTypes.some((t) => t.type === "stamp"), false);
    assert.throws(() => podgate.register(stamp), /a mutating webhook type "stamp" is already registered/);
    assert.throws(() => podgate.register(defineMutatingWebhook({ mutate: () => undefined })), /needs a type to be registered/);
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { kubeModelsText } from "../../../src/kube/models-gen.ts";
import { kubeModelSchema, MODELS_PATH, ROOT_MODELS } from "../../../src/kube/schema.ts";

test("src/kube/models.json matches @kubernetes/client-node (regenerate: node src/kube/models-gen.ts)", () => {
  assert.equal(readFileSync(MODELS_PATH, "utf8"), kubeModelsText());
});

test("the generated models check field names and types, nested models included", () => {
  for (const model of ROOT_MODELS) assert.ok(kubeModelSchema(model));
  const container = kubeModelSchema("V1Container");
  assert.equal(container.safeParse({ name: "a", image: "b", ports: [{ containerPort: 80 }], resources: { limits: { cpu: "1" } } }).success, true);
  assert.equal(container.safeParse({ name: "a", imagee: "b" }).success, false);
  assert.equal(container.safeParse({ name: "a", ports: [{ containerPort: "80" }] }).success, false);
  assert.equal(container.safeParse({ name: "a", livenessProbe: { httpGet: { port: "http", bogus: 1 } } }).success, false);
  assert.throws(() => kubeModelSchema("V1Nope").parse({}), /no Kubernetes model named V1Nope/);
});

// A resolve hook records every module the server's start-up path loads, in a fresh process.
const PROBE = `
import { registerHooks } from "node:module";
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
const { registry, extensionsFor } = await import("./src/wiring.ts");
const { loadConfig } = await import("./src/config/default.ts");
await import("./src/cli/serve.ts");
const config = await loadConfig({}, registry);
extensionsFor(config);
process.stdout.write(JSON.stringify(seen.filter((url) => url.includes("/@kubernetes/client-node/") || url.includes("/node-forge/"))));
`;

test("serving the default config loads neither @kubernetes/client-node (~85 MB of RSS) nor node-forge", () => {
  const root = new URL("../../../", import.meta.url).pathname;
  const loaded = JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", PROBE], { cwd: root, encoding: "utf8" })) as string[];
  assert.deepEqual(loaded, []);
});

// With `namespaces.watch`, the server hands each review its Namespace: policies of one entry keep their
// own namespaceSelectors and read namespaceObject, as they do offline. Without it, the apiserver selects.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { runValidating } from "../../../src/admission/run.ts";
import { defineValidatingWebhook } from "../../../src/index.ts";
import { runPolicy, runWebhook } from "../../../src/testing.ts";
import { podRequest } from "./requests.ts";

const dir = mkdtempSync(join(tmpdir(), "podgate-ns-"));
const policyFile = (name: string, selector: object) => {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "podgate.dev/v1alpha1",
      kind: "Policy",
      metadata: { name },
      spec: {
        matchConstraints: { resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }], namespaceSelector: selector },
        validations: [{ expression: "false", messageExpression: `'${name} in ' + namespaceObject.metadata.name` }],
      },
    }),
  );
  return file;
};
const prod = policyFile("prod-only", { matchLabels: { env: "prod" } });
const dev = policyFile("dev-only", { matchLabels: { env: "dev" } });
const config = (watch: boolean) =>
  `namespaces: {watch: ${watch}}\nadmission:\n  validating:\n    - {name: policy, type: policy, settings: {files: [${prod}, ${dev}]}}\n`;
const namespace = (name: string, labels: Record<string, string>) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });

test("without the watch, policies with different namespaceSelectors in one entry are refused, naming the way out", () => {
  assert.throws(() => parseConfig(config(false), registry), (error: unknown) => error instanceof ConfigError && /different namespaceSelectors.*namespaces\.watch: true/.test(error.message));
});

test("with the watch, each policy applies in the namespaces its own selector picks, and reads namespaceObject", async () => {
  const loaded = parseConfig(config(true), registry);
  assert.equal(loaded.namespaces.watch, true);
  const review = (namespaceObject: object | null | undefined) => runValidating(loaded.validating, podRequest({ containers: [] }), namespaceObject === undefined ? {} : { namespaceObject: namespaceObject as never });
  const inProd = await review(namespace("shop", { env: "prod" }));
  assert.deepEqual(inProd.response.status?.message, "policy prod-only: prod-only in shop");
  const inDev = await review(namespace("lab", { env: "dev" }));
  assert.deepEqual(inDev.response.status?.message, "policy dev-only: dev-only in lab");
  assert.equal((await review(namespace("other", {}))).response.allowed, true);
});

test("runPolicy and runWebhook take the namespaceObject a watching server would hand over", async () => {
  const inProd = await runPolicy(prod, podRequest({ containers: [] }), { namespaceObject: namespace("shop", { env: "prod" }) });
  assert.equal(inProd.message, "policy prod-only: prod-only in shop");
  assert.equal((await runPolicy(prod, podRequest({ containers: [] }), { namespaceObject: namespace("x", {}) })).allowed, true);
  const reader = defineValidatingWebhook({ validate: ({ namespaceObject }) => `namespace: ${JSON.stringify(namespaceObject?.["metadata"] ?? namespaceObject)}` });
  assert.equal((await runWebhook(reader, podRequest({}), { namespaceObject: namespace("shop", {}) })).message, 'namespace: {"name":"shop","labels":{}}');
  assert.equal((await runWebhook(reader, podRequest({}))).message, "namespace: undefined");
});

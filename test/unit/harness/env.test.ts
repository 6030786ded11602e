import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readEnvironment } from "../../harness/env.ts";

const file = (content: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), "podgate-env-")), "env.json");
  writeFileSync(path, JSON.stringify(content));
  return path;
};

test("a kind environment needs no local podgate", () => {
  const env = readEnvironment(file({ cluster: "kind", kubeconfig: "/k", bindThroughExtender: false }));
  assert.equal(env.podgate, undefined);
});

test("errors name the field and unknown keys are refused", () => {
  assert.throws(() => readEnvironment(file({ cluster: "local", kubeconfig: "", bindThroughExtender: true })), /kubeconfig: /);
  assert.throws(() => readEnvironment(file({ cluster: "kind", kubeconfig: "/k", bindThroughExtender: true, extra: 1 })), /Unrecognized key/);
  assert.throws(() => readEnvironment(file({ cluster: "local", kubeconfig: "/k", bindThroughExtender: true, podgate: { url: "nope" } })), /podgate\.url: /);
});

test("without PODGATE_E2E_ENV the suite says how to run it", () => {
  assert.throws(() => readEnvironment(""), /npm run e2e/);
});

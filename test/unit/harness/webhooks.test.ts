import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { INJECT_LABEL, baseMutatingConfiguration, urlMutatingConfiguration } from "../../harness/webhooks.ts";

const REPO = resolve(import.meta.dirname, "../../..");
const base = baseMutatingConfiguration(REPO);
const made = urlMutatingConfiguration(base, { name: "podgate-e2e", baseUrl: "https://127.0.0.1:9443", caBundle: "Q0E=" }) as {
  metadata: { name: string };
  webhooks: { name: string; clientConfig: Record<string, unknown>; namespaceSelector: { matchExpressions: { key: string; operator: string; values?: string[] }[] }; reinvocationPolicy?: string; failurePolicy?: string }[];
};

test("the base manifest's webhooks are pointed at podgate's URL with the CA bundle, under a new name", () => {
  assert.equal(made.metadata.name, "podgate-e2e");
  assert.deepEqual(made.webhooks.map((w) => w.clientConfig), [
    { url: "https://127.0.0.1:9443/mutate/sidecar", caBundle: "Q0E=" },
    { url: "https://127.0.0.1:9443/mutate/defaults", caBundle: "Q0E=" },
  ]);
});

test("rules, failure policies and reinvocation come from the base manifest unchanged", () => {
  assert.deepEqual(made.webhooks.map((w) => [w.name, w.failurePolicy, w.reinvocationPolicy]), base.webhooks.map((w) => [w.name, w["failurePolicy"], w["reinvocationPolicy"]]));
  assert.deepEqual(made.webhooks.map((w) => (w as Record<string, unknown>)["rules"]), base.webhooks.map((w) => w["rules"]));
});

test("the system namespaces stay excluded; only the sidecar also requires the injection label", () => {
  for (const w of made.webhooks) {
    assert.ok(w.namespaceSelector.matchExpressions.some((e) => e.operator === "NotIn" && e.values?.includes("kube-system")), `${w.name} excludes kube-system`);
  }
  const inject = (w: (typeof made.webhooks)[number]) => w.namespaceSelector.matchExpressions.some((e) => e.key === INJECT_LABEL.key && e.operator === "In");
  assert.deepEqual(made.webhooks.map(inject), [true, false]);
});

test("a manifest without a MutatingWebhookConfiguration is refused, not half-registered", () => {
  const repo = mkdtempSync(join(tmpdir(), "podgate-manifests-"));
  mkdirSync(join(repo, "manifests/base"), { recursive: true });
  writeFileSync(join(repo, "manifests/base/webhooks.yaml"), "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: x}\nwebhooks: []\n");
  assert.throws(() => baseMutatingConfiguration(repo), /webhooks.yaml: no document of kind MutatingWebhookConfiguration/);
});

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

test("the base manifest's one call is pointed at podgate's URL with the CA bundle, under a new name; the defaults alone get a call of their own", () => {
  assert.equal(made.metadata.name, "podgate-e2e");
  assert.deepEqual(made.webhooks.map((w) => [w.name, w.clientConfig]), [
    ["sidecar.defaults.mutate.podgate.io", { url: "https://127.0.0.1:9443/mutate/sidecar/defaults", caBundle: "Q0E=" }],
    ["defaults.mutate.podgate.io", { url: "https://127.0.0.1:9443/mutate/defaults", caBundle: "Q0E=" }],
  ]);
});

test("rules, failure policies and reinvocation come from the base manifest unchanged", () => {
  for (const w of made.webhooks) {
    assert.deepEqual([w.failurePolicy, w.reinvocationPolicy, (w as Record<string, unknown>)["rules"]], [base.webhooks[0]!["failurePolicy"], base.webhooks[0]!["reinvocationPolicy"], base.webhooks[0]!["rules"]]);
  }
});

test("the system namespaces stay excluded; a namespace is either labelled for injection or not, so each create is one call", () => {
  for (const w of made.webhooks) {
    assert.ok(w.namespaceSelector.matchExpressions.some((e) => e.operator === "NotIn" && e.values?.includes("kube-system")), `${w.name} excludes kube-system`);
  }
  const inject = (w: (typeof made.webhooks)[number]) => w.namespaceSelector.matchExpressions.find((e) => e.key === INJECT_LABEL.key);
  assert.deepEqual(made.webhooks.map(inject), [
    { key: INJECT_LABEL.key, operator: "In", values: [INJECT_LABEL.value] },
    { key: INJECT_LABEL.key, operator: "NotIn", values: [INJECT_LABEL.value] },
  ]);
});

test("a manifest without a MutatingWebhookConfiguration is refused, not half-registered", () => {
  const repo = mkdtempSync(join(tmpdir(), "podgate-manifests-"));
  mkdirSync(join(repo, "manifests/base"), { recursive: true });
  writeFileSync(join(repo, "manifests/base/webhooks.yaml"), "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: x}\nwebhooks: []\n");
  assert.throws(() => baseMutatingConfiguration(repo), /webhooks.yaml: no document of kind MutatingWebhookConfiguration/);
});

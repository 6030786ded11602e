// A misspelt sidecar.podgate.io key is reported (kubectl warning), as bad values
// are, instead of being ignored without a word; keys podgate reads are not.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../../../src/admission/review.ts";
import { handleSidecar } from "../../../webhooks/sidecar/index.ts";
import { podRequest } from "../../support/admission.ts";
import { proxySidecarSettings as settings } from "../../support/sidecar.ts";


const pod = (annotations: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { generateName: "web-", namespace: "shop", annotations, labels },
  spec: { containers: [{ name: "app", image: "nginx" }] },
});

test("a misspelt key warns, naming what podgate reads; the injection still happens", () => {
  const decision = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "true", "sidecar.podgate.io/cpus": "200m" })), settings);
  assert.ok(decision.object, "injected");
  assert.deepEqual(decision.warnings, ["sidecar: unknown key sidecar.podgate.io/cpus: podgate reads inject, templates, native and the templates' values (cpu)"]);
});

test("a misspelt opt-in warns even though nothing is injected", () => {
  const decision = handleSidecar(podRequest(pod({ "sidecar.podgate.io/injet": "true" })), settings);
  assert.equal(decision.object, undefined);
  assert.deepEqual(decision.warnings, ["sidecar: unknown key sidecar.podgate.io/injet: podgate reads inject, templates, native and the templates' values (cpu)"]);
});

test("template-scoped keys: an unknown template or value warns", () => {
  const decision = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "true", "prox.sidecar.podgate.io/cpu": "1", "proxy.sidecar.podgate.io/memory": "1Gi" })), settings);
  assert.deepEqual(decision.warnings, [
    'sidecar: unknown key prox.sidecar.podgate.io/cpu: no template "prox"; known: proxy',
    "sidecar: unknown key proxy.sidecar.podgate.io/memory: template proxy has the values cpu",
  ]);
});

test("keys podgate reads, and other domains, give no warning", () => {
  const decision = handleSidecar(
    podRequest(pod({ "sidecar.podgate.io/inject": "true", "sidecar.podgate.io/cpu": "200m", "proxy.sidecar.podgate.io/cpu": "300m", "sidecar.podgate.io/native": "false", "example.com/cpus": "x" }, { "sidecar.podgate.io/inject": "true" })),
    settings,
  );
  assert.ok(decision.object);
  assert.equal(decision.warnings, undefined);
});

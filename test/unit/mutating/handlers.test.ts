// The sidecar handler's decisions that golden files cannot show: operations it
// ignores, injectByDefault, unreadable pods, and how problems are reported.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KubeObject } from "../../../src/admission/review.ts";
import { handleSidecar } from "../../../webhooks/sidecar/index.ts";
import { handleDefaults } from "../../../webhooks/defaults/index.ts";
import { defaultsSettings } from "../../../webhooks/defaults/settings.ts";
import { podRequest } from "../../support/admission.ts";
import { proxySidecarSettings as settings } from "../../support/sidecar.ts";


const pod = (annotations: Record<string, string> = {}): KubeObject => ({
  metadata: { generateName: "web-", namespace: "shop", annotations },
  spec: { containers: [{ name: "app", image: "nginx" }] },
});

describe("sidecar handler", () => {
  it("does not re-inject on UPDATE, even when the pod asks", () => {
    const decision = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "true" }), { operation: "UPDATE", oldObject: pod() }), settings);
    assert.deepEqual(decision, { allowed: true });
  });

  it("ignores subresources and other kinds", () => {
    const status = { ...podRequest(pod({ "sidecar.podgate.io/inject": "true" })), subResource: "status" };
    assert.deepEqual(handleSidecar(status, settings), { allowed: true });
    const deployment = { ...podRequest(pod({ "sidecar.podgate.io/inject": "true" })), kind: { group: "apps", version: "v1", kind: "Deployment" } };
    assert.deepEqual(handleSidecar(deployment, settings), { allowed: true });
  });

  it("injects pods without an explicit switch only when injectByDefault is on (namespace opt-in)", () => {
    assert.equal(handleSidecar(podRequest(pod()), settings).object, undefined);
    const byDefault = handleSidecar(podRequest(pod()), { ...settings, injectByDefault: true });
    assert.equal((byDefault.object?.["spec"] as { containers: unknown[] }).containers.length, 2);
    const optedOut = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "false" })), { ...settings, injectByDefault: true });
    assert.equal(optedOut.object, undefined);
    assert.deepEqual(optedOut.auditAnnotations, { injection: "skipped: sidecar.podgate.io/inject is false" });
  });

  it("reports an unknown template in the annotation instead of failing", () => {
    const decision = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "true", "sidecar.podgate.io/templates": "proxy,envoy" })), settings);
    assert.equal(decision.allowed, true);
    assert.equal(decision.object, undefined);
    assert.deepEqual(decision.warnings, ['sidecar not injected: sidecar.podgate.io/templates unknown template "envoy"; known: proxy']);
    assert.match(decision.auditAnnotations?.["injection"] ?? "", /^skipped: invalid templates value/);
  });

  it("reports an invalid native value and an invalid quantity override", () => {
    const native = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "true", "sidecar.podgate.io/native": "1" })), settings);
    assert.deepEqual(native.warnings, ['sidecar not injected: sidecar.podgate.io/native "1": expected "true" or "false"']);
    const cpu = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "true", "sidecar.podgate.io/cpu": "-1" })), settings);
    assert.deepEqual(cpu.warnings, ['sidecar not injected: sidecar.podgate.io/cpu "-1": expected a quantity >= 0']);
  });

  it("keeps warnings short even for long annotation values", () => {
    const decision = handleSidecar(podRequest(pod({ "sidecar.podgate.io/inject": "x".repeat(500) })), settings);
    assert.ok(decision.warnings?.every((w) => w.length <= 120));
  });

  it("reports a pod it cannot read rather than throwing", () => {
    const broken = { metadata: { annotations: { "sidecar.podgate.io/inject": "true" } }, spec: { containers: "app" } };
    const decision = handleSidecar(podRequest(broken), settings);
    assert.equal(decision.allowed, true);
    assert.deepEqual(decision.warnings, ["sidecar not injected: spec.containers: Invalid input: expected array, received string"]);
  });

  it("does not touch the request object it was given", () => {
    const request = podRequest(pod({ "sidecar.podgate.io/inject": "true" }));
    const before = structuredClone(request.object);
    handleSidecar(request, settings);
    assert.deepEqual(request.object, before);
  });
});

describe("defaults handler", () => {
  const defaults = defaultsSettings.parse({ resources: { requests: { cpu: "100m" } } });

  it("does nothing on UPDATE", () => {
    assert.deepEqual(handleDefaults(podRequest(pod(), { operation: "UPDATE", oldObject: pod() }), defaults), { allowed: true });
  });

  it("allows without a patch when there is nothing to fill", () => {
    const full: KubeObject = { metadata: { name: "x" }, spec: { containers: [{ name: "a", image: "b", imagePullPolicy: "Always", resources: { requests: { cpu: "1" } } }] } };
    assert.deepEqual(handleDefaults(podRequest(full), defaults), { allowed: true });
  });
});

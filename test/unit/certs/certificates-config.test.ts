import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { certificates } from "../../../src/certs/config.ts";
import { buildConfig, ConfigError } from "../../../src/config/load.ts";

function problems(raw: unknown): readonly string[] {
  try {
    buildConfig(raw, registry);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("the certificates config section", () => {
  it("defaults to local certificates", () => {
    assert.deepEqual(certificates.of(buildConfig({}, registry)), { mode: "local" });
  });

  it("fills in the secret mode's names and lifetimes", () => {
    const settings = certificates.of(buildConfig({ certificates: { mode: "secret", namespace: "infra" } }, registry));
    assert.deepEqual(settings, {
      mode: "secret",
      namespace: "infra",
      service: "podgate",
      secret: "podgate-tls",
      mutatingWebhookConfiguration: "podgate",
      validatingWebhookConfiguration: "podgate",
      lease: "podgate-certificates",
      extraHosts: [],
      caValidityDays: 3650,
      servingValidityDays: 365,
      renewBeforeDays: 30,
      leaseDurationSeconds: 60,
      checkIntervalSeconds: 20,
      podSelector: "app.kubernetes.io/name=podgate",
      replicaPort: 8443,
    });
  });

  it("names the key path of every mistake", () => {
    assert.deepEqual(problems({ certificates: { mode: "vault" } }), ["certificates.mode: Invalid discriminator value. Expected 'local' | 'files' | 'secret'"]);
    assert.deepEqual(problems({ certificates: { mode: "files", secret: "x" } }), ["certificates.secret: unknown key"]);
    assert.deepEqual(problems({ certificates: { mode: "secret", renewBeforeDays: 400 } }), ["certificates.renewBeforeDays: must be less than servingValidityDays (365)"]);
    assert.deepEqual(problems({ certificates: { mode: "secret", checkIntervalSeconds: 40 } }), ["certificates.checkIntervalSeconds: must be at most half of leaseDurationSeconds (60), so the leader renews in time"]);
    assert.deepEqual(problems({ certificates: { mode: "secret", namespace: "Bad_NS" } }), ["certificates.namespace: must be a lowercase DNS name"]);
  });
});

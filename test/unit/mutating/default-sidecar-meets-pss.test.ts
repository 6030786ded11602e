import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { defaultConfigText } from "../../../src/config/default.ts";
import { buildConfig, decodeYaml } from "../../../src/config/load.ts";
import { runValidating } from "../../../src/admission/run.ts";
import { mutatePod, podRequest } from "../../support/admission.ts";

/** A pod that passes pss-restricted on its own, asking for the default sidecar. */
const restrictedPod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "app", namespace: "shop", annotations: { "sidecar.podgate.io/inject": "true" } },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [
      {
        name: "app",
        image: "registry.example.com/app:1.0",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true },
      },
    ],
  },
};

describe("the embedded default sidecar", () => {
  it("keeps a restricted pod within Pod Security restricted and baseline after injection", async () => {
    const raw = decodeYaml(await defaultConfigText()) as { admission: { validating: unknown[] } };
    raw.admission.validating = [{ name: "pss", type: "policy", settings: { library: ["pss-baseline", "pss-restricted"] } }];
    const config = buildConfig(raw, registry);
    const before = await runValidating(config.validating, podRequest(restrictedPod));
    assert.equal(before.response.allowed, true, before.response.status?.message);

    const injected = await mutatePod(config.mutating, restrictedPod);
    const containers = (injected.result["spec"] as { containers: Array<{ name: string }> }).containers.map((c) => c.name);
    assert.ok(containers.includes("log-shipper"), `sidecar injected: ${containers.join(",")}`);
    const after = await runValidating(config.validating, podRequest(injected.result));
    assert.equal(after.response.allowed, true, after.response.status?.message);
  });
});

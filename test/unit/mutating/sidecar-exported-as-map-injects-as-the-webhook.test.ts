// `podgate export map --config`: a sidecar template as a native
// MutatingAdmissionPolicy injects what the sidecar webhook injects. Seeded
// random pods go through both: the webhook's handler, and the exported
// policy run by podgate's MutatingAdmissionPolicy engine (which the e2e holds
// to the real apiserver). The pods the policy leaves to the webhook by design
// (per-pod values, several templates) must be left alone by it.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import { podRequest } from "../policy/requests.ts";
import { loadMutatingPolicyFiles } from "../../../webhooks/policy/load.ts";
import { mutateAll } from "../../../webhooks/policy/mutating.ts";
import { sidecarMap } from "../../../webhooks/sidecar/export-map.ts";
import { handleSidecar } from "../../../webhooks/sidecar/index.ts";
import { sidecarSettings } from "../../../webhooks/sidecar/settings.ts";
import { random, randomSidecarPod } from "../../support/sidecar-pods.ts";

const resources = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } };
const settings = sidecarSettings.parse({
  injectByDefault: false,
  defaultTemplate: "log-shipper",
  templates: {
    "log-shipper": {
      values: { image: { type: "image", default: "registry.local/fluent-bit:3.2" }, cpu: { type: "quantity", default: "50m", max: "1" } },
      containers: [{ name: "log-shipper", image: "{{ values.image }}", args: ["-i", "tail"], resources: { requests: { cpu: "{{ values.cpu }}" } }, volumeMounts: [{ name: "logs", mountPath: "/var/log/app", readOnly: true }] }],
      volumes: [{ name: "logs", emptyDir: { sizeLimit: "256Mi" } }],
      volumeMounts: [{ name: "logs", mountPath: "/var/log/app" }],
      env: [{ name: "LOG_DIR", value: "/var/log/app" }, { name: "POD_REF", value: "{{ pod.name }}.{{ pod.namespace }}/{{ pod.serviceAccount }}:{{ pod.labels['app'] }}" }],
    },
    proxy: {
      native: true,
      holdApplicationUntilStarted: true,
      containers: [{ name: "proxy", image: "registry.local/proxy:1.0", ports: [{ containerPort: 15001 }], env: [{ name: "OWNER", value: "{{ pod.annotations['owner'] }}" }], resources }],
      initContainers: [{ name: "proxy-init", image: "registry.local/proxy-init:1.0", command: ["iptables-setup"], resources }],
      imagePullSecrets: [{ name: "registry" }],
      env: [{ name: "PROXY", value: "localhost:15001" }],
    },
  },
});

function exported() {
  const dir = mkdtempSync(join(tmpdir(), "podgate-sidecar-map-"));
  const file = join(dir, "maps.yaml");
  writeFileSync(file, Object.keys(settings.templates).flatMap((name) => sidecarMap("sidecar", settings, name).objects.map((o) => `${stringify(o, { version: "1.1" })}---\n`)).join(""));
  return loadMutatingPolicyFiles([file]);
}

test("600 random pods: the exported policies inject exactly what the sidecar webhook injects, status annotation included, and leave alone the pods they leave to it", () => {
  const policies = exported();
  assert.equal(policies.length, 2);
  const r = random(7);
  const tally = { injected: 0, alike: 0, leftToWebhook: 0 };
  for (let i = 0; i < 600; i++) {
    const pod = randomSidecarPod(r);
    const request = podRequest({}, { object: pod, namespace: "shop", name: pod["metadata"].name });
    const decision = handleSidecar(request, settings);
    const webhook = decision.object ?? pod;
    const native = mutateAll(policies, { request });
    assert.equal(native.denial, undefined, `pod ${i}: ${native.denial}`);
    const annotations: Record<string, string> = pod["metadata"].annotations ?? {};
    const templates = (annotations["sidecar.podgate.io/templates"] ?? "log-shipper").split(",").map((n) => n.trim()).filter(Boolean);
    // Overrides matter only for values the selected template declares (log-shipper's cpu; proxy has none).
    const leftToWebhook = new Set(templates).size > 1 || (templates[0] === "log-shipper" && "sidecar.podgate.io/cpu" in annotations);
    if (leftToWebhook && webhook !== pod) {
      tally.leftToWebhook++;
      assert.equal(native.object, pod, `pod ${i}: the policy must leave it to the webhook: ${JSON.stringify(pod)}`);
      continue;
    }
    if (webhook !== pod) tally.injected++;
    else tally.alike++;
    assert.ok(isDeepStrictEqual(native.object, webhook), `pod ${i}: ${JSON.stringify(pod)}\n  webhook: ${JSON.stringify(webhook)}\n  policy:  ${JSON.stringify(native.object)}`);
  }
  assert.ok(tally.injected > 100 && tally.alike > 100 && tally.leftToWebhook > 5, JSON.stringify(tally));
});

// `podgate export map --config`: the defaults webhook as a native
// MutatingAdmissionPolicy fills what the webhook fills. Seeded random pods go
// through both: the webhook's handler, and the exported policy run by
// podgate's MutatingAdmissionPolicy engine (which the e2e holds to the real
// apiserver).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { stringify } from "yaml";
import { podRequest } from "../policy/requests.ts";
import { defaultsMap } from "../../../webhooks/defaults/export-map.ts";
import { handleDefaults } from "../../../webhooks/defaults/index.ts";
import { defaultsSettings } from "../../../webhooks/defaults/settings.ts";
import { loadMutatingPolicyFiles } from "../../../webhooks/policy/load.ts";
import { mutateAll } from "../../../webhooks/policy/mutating.ts";
import { randomDefaultsPod } from "../../support/defaults-pods.ts";
import { random } from "../../support/random.ts";

const settings = defaultsSettings.parse({
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "512Mi" }, namespaces: { batch: { requests: { cpu: "1" }, limits: { cpu: "2", memory: "4Gi" } } } },
  imagePullPolicy: { policy: "IfNotPresent" },
  securityContext: { enabled: true },
  labels: { values: { "podgate.dev/defaulted": "true", tier: "default" } },
  annotations: { values: { "example.com/owner": "platform" } },
});

test("800 random pods: the exported policy fills exactly what the defaults webhook fills, in every namespace's defaults", () => {
  const dir = mkdtempSync(join(tmpdir(), "podgate-defaults-map-"));
  writeFileSync(join(dir, "maps.yaml"), defaultsMap("defaults", settings).objects.map((o) => stringify(o, { version: "1.1" })).join("---\n"));
  const policies = loadMutatingPolicyFiles([dir]);
  const r = random(11);
  let changed = 0;
  for (let i = 0; i < 800; i++) {
    const pod = randomDefaultsPod(r);
    const namespace = i % 3 === 0 ? "batch" : "shop";
    const request = podRequest({}, { object: { ...pod, metadata: { ...pod["metadata"], namespace } }, namespace });
    const webhook = handleDefaults(request, settings).object ?? request.object;
    const native = mutateAll(policies, { request });
    assert.equal(native.denial, undefined, `pod ${i}: ${native.denial}`);
    if (webhook !== request.object) changed++;
    assert.ok(isDeepStrictEqual(native.object, webhook), `pod ${i} in ${namespace}: ${JSON.stringify(pod)}\n  webhook: ${JSON.stringify(webhook)}\n  policy:  ${JSON.stringify(native.object)}`);
  }
  assert.ok(changed > 600, `only ${changed} pods were changed`);
});

// webhooks/pod/shape-fast.ts answers for the zod pod schema of shape.ts
// without copying: it may take a pod only when the schema accepts it and
// returns an equal value, and it returns the pod itself.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { pod } from "../../../webhooks/pod/shape.ts";
import { fastPod } from "../../../webhooks/pod/shape-fast.ts";
import { assertFastPathAgrees } from "../../support/fast-path.ts";

const review = JSON.parse(readFileSync(new URL("../../fixtures/bench/pod-review.json", import.meta.url), "utf8")) as { request: { object: Record<string, unknown> } };
const fixture = review.request.object;

/** Every place in a pod the schema looks at, and a few it does not. */
const PATHS = [
  ["metadata"], ["metadata", "name"], ["metadata", "generateName"], ["metadata", "namespace"], ["metadata", "labels"], ["metadata", "labels", "app"],
  ["metadata", "annotations"], ["metadata", "annotations", "x"], ["metadata", "other"], ["spec"], ["spec", "containers"], ["spec", "containers", 0],
  ["spec", "containers", 0, "name"], ["spec", "containers", 0, "image"], ["spec", "containers", 0, "imagePullPolicy"], ["spec", "containers", 0, "restartPolicy"],
  ["spec", "containers", 0, "env"], ["spec", "containers", 0, "env", 0], ["spec", "containers", 0, "env", 0, "name"], ["spec", "containers", 0, "volumeMounts"],
  ["spec", "containers", 0, "volumeMounts", 0, "mountPath"], ["spec", "containers", 0, "resources"], ["spec", "containers", 0, "resources", "requests"],
  ["spec", "containers", 0, "resources", "requests", "cpu"], ["spec", "containers", 0, "resources", "limits"], ["spec", "containers", 0, "securityContext"],
  ["spec", "containers", 0, "securityContext", "privileged"], ["spec", "containers", 0, "securityContext", "runAsUser"],
  ["spec", "containers", 0, "securityContext", "allowPrivilegeEscalation"], ["spec", "containers", 0, "securityContext", "runAsNonRoot"],
  ["spec", "containers", 0, "securityContext", "capabilities"], ["spec", "containers", 0, "securityContext", "capabilities", "add"],
  ["spec", "containers", 0, "securityContext", "capabilities", "drop"], ["spec", "containers", 1, "name"], ["spec", "initContainers"],
  ["spec", "volumes"], ["spec", "volumes", 0, "name"], ["spec", "imagePullSecrets"], ["spec", "hostNetwork"], ["spec", "serviceAccountName"], ["spec", "os"],
  ["spec", "os", "name"], ["spec", "securityContext"], ["spec", "securityContext", "runAsUser"], ["spec", "securityContext", "runAsNonRoot"],
  ["spec", "securityContext", "seccompProfile"], ["spec", "securityContext", "seccompProfile", "type"], ["spec", "nodeName"], ["status"],
] as const;

const value = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom("", "x", "100m", Infinity, NaN, 0, -1, 1.5, true, false),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant({ name: "n" }), fc.constant({ name: "m", mountPath: "/m" })), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("name", "mountPath", "type", "cpu", "add", "a"), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 })), { maxKeys: 4 }),
  fc.jsonValue(),
);

describe("the pod fast path", () => {
  it("takes the bench's pod, and returns the pod itself, equal to the schema's result", () => {
    const fast = fastPod(fixture);
    assert.equal(fast, fixture);
    assert.deepEqual(fast, pod.parse(fixture));
  });

  it("property: takes only what the schema accepts, equal to what it returns", () => {
    assertFastPathAgrees({ fixture, paths: PATHS, values: value, fast: fastPod, schema: pod, returnsInput: true, numRuns: 3000 });
  });

  it("leaves a pod without metadata to the schema, which fills it in", () => {
    const { metadata: _dropped, ...bare } = fixture;
    assert.equal(fastPod(bare), undefined);
    assert.deepEqual(pod.parse(bare).metadata, {});
  });
});

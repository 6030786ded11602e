import assert from "node:assert/strict";
import { test } from "node:test";
import { admissionRequestFor, assertPatch, runWebhook } from "podgate/testing";
import teamLabel from "../webhooks/team-label.ts";

const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "app", image: "nginx:1.27" }] } };

test("labels a pod without a team with the configured team", async () => {
  const result = await runWebhook(teamLabel, admissionRequestFor(pod), { settings: { team: "platform" } });
  assertPatch(result, [{ op: "add", path: "/metadata/labels", value: { team: "platform" } }]);
});

test("leaves a pod that names its team alone", async () => {
  const result = await runWebhook(teamLabel, admissionRequestFor({ ...pod, metadata: { name: "web", labels: { team: "shop" } } }), { settings: { team: "platform" } });
  assert.deepEqual(result.patch, []);
});

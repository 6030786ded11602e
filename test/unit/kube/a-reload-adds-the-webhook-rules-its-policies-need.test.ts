// After a reload, the Lease leader adds to podgate's validating webhook the
// rules its policies need and it lacks (a policy for a new resource), and
// never removes any: rules an administrator widened stay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addMissingRules } from "../../../src/certs/rotation.ts";
import type { ServedWebhook } from "../../../src/kube/webhooks.ts";
import { covered, missingRules, type WebhookRule } from "../../../src/kube/webhook-rules.ts";

const pods: WebhookRule = { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"], scope: "Namespaced" };
const configmaps: WebhookRule = { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] };

test("a rule is covered field by field: wildcards, subresources, operations and scope", () => {
  assert.ok(covered([pods], { ...pods, operations: ["CREATE"] }));
  assert.ok(!covered([pods], { ...pods, operations: ["DELETE"] }));
  assert.ok(covered([{ ...pods, resources: ["*"], scope: "*" }], pods));
  assert.ok(!covered([pods], { ...pods, resources: ["pods", "pods/ephemeralcontainers"] }), "a subresource is not the resource");
  assert.ok(covered([{ ...pods, resources: ["pods", "pods/*"] }], { ...pods, resources: ["pods", "pods/ephemeralcontainers"] }));
  assert.ok(!covered([pods], { ...pods, scope: "*" }), "Namespaced does not cover every scope");
  assert.ok(covered([{ ...pods, scope: undefined }], pods), "no scope is every scope");
  assert.ok(covered([{ ...pods, apiGroups: ["*"], apiVersions: ["*"], operations: ["*"] }], pods));
  assert.ok(covered([{ ...pods, operations: ["CREATE"] }, { ...pods, operations: ["UPDATE"] }], pods), "by two rules together");
  assert.deepEqual(missingRules([pods], [pods, configmaps]), [configmaps]);
});

test("the leader patches only the webhooks that lack rules, by their path, adding what is missing", async () => {
  const webhooks: ServedWebhook[] = [
    { index: 0, name: "policy.podgate.io", path: "/validate/policy", rules: [pods] },
    { index: 1, name: "team.podgate.io", path: "/validate/team", rules: [{ ...configmaps, resources: ["*"] }] },
    { index: 2, name: "other.example.com", path: "/elsewhere", rules: [] },
  ];
  const patches: { webhook: string; rules: readonly WebhookRule[] }[][] = [];
  const logged: unknown[] = [];
  const targets = {
    validatingRules: () => Promise.resolve(webhooks),
    addValidatingRules: (additions: readonly { webhook: ServedWebhook; rules: readonly WebhookRule[] }[]) => {
      patches.push(additions.map((a) => ({ webhook: a.webhook.name, rules: a.rules })));
      return Promise.resolve();
    },
  };
  const log = { info: (o: unknown) => logged.push(o), warn: () => {}, debug: () => {} };
  const wanted = new Map([
    ["/validate/policy", [pods, configmaps]],
    ["/validate/team", [configmaps]],
  ]);
  await addMissingRules(targets, wanted, log);
  assert.deepEqual(patches, [[{ webhook: "policy.podgate.io", rules: [configmaps] }]]);
  assert.equal(logged.length, 1);
  webhooks[0] = { ...webhooks[0]!, rules: [pods, configmaps] };
  await addMissingRules(targets, wanted, log);
  assert.deepEqual(patches[1], [], "nothing missing: an empty patch list, which writes nothing");
});

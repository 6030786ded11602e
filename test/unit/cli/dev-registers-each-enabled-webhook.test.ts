// `podgate dev` registers what the config serves, pointing at itself: each
// enabled mutating entry at /mutate/<name>, the policy webhook with the rules
// its policies compile to, system namespaces left out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { devConfigurations } from "../../../src/cli/dev.ts";
import { parseConfig } from "../../../src/config/load.ts";

const config = parseConfig(
  `admission:
  mutating:
    - {name: defaults, type: defaults, failurePolicy: Ignore, timeoutSeconds: 3, settings: {}}
    - {name: off, type: defaults, enabled: false, settings: {}}
  validating:
    - {name: policy, type: policy, settings: {library: [disallow-latest-tag]}}
`,
  registry,
);

test("each enabled webhook is registered at podgate dev's URL, with its failure policy and timeout", () => {
  const { mutating, validating } = devConfigurations(config, { name: "podgate-dev", url: "https://127.0.0.1:9443", caBundle: "Q0E=" });
  assert.deepEqual(
    mutating.webhooks.map((w) => [w.name, w.clientConfig.url, w.failurePolicy, w.timeoutSeconds, w.clientConfig.caBundle]),
    [["defaults.dev.podgate.io", "https://127.0.0.1:9443/mutate/defaults", "Ignore", 3, "Q0E="]],
  );
  assert.deepEqual(mutating.metadata, { name: "podgate-dev", labels: { "app.kubernetes.io/managed-by": "podgate-dev" } });
  assert.deepEqual(mutating.webhooks[0]!.namespaceSelector.matchExpressions[0]!.values, ["kube-system", "kube-node-lease"]);
  assert.equal(validating.webhooks.length, 1);
  const [policy] = validating.webhooks;
  assert.match(policy!.clientConfig?.url ?? "", /^https:\/\/127\.0\.0\.1:9443\/validate/);
  assert.ok(policy!.rules?.some((r) => r.resources?.includes("pods")), JSON.stringify(policy!.rules));
});

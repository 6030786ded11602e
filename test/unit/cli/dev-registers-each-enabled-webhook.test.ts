// `podgate dev` registers what the config serves, pointing at itself: the
// enabled mutating entries as one call (/mutate/<name>/<name>...), the policy
// webhook with the rules its policies compile to, system namespaces left out.
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
    - {name: more, type: defaults, settings: {}}
  validating:
    - {name: policy, type: policy, settings: {library: [disallow-latest-tag]}}
`,
  registry,
);

test("the enabled webhooks are registered at podgate dev's URL, the mutating ones as one call failing closed if any does", () => {
  const { mutating, validating } = devConfigurations(config, { name: "podgate-dev", url: "https://127.0.0.1:9443", caBundle: "Q0E=" });
  assert.deepEqual(
    mutating.webhooks.map((w) => [w.name, w.clientConfig, w.failurePolicy, w.timeoutSeconds, w.reinvocationPolicy]),
    [["defaults.more.mutate.podgate.dev", { url: "https://127.0.0.1:9443/mutate/defaults/more", caBundle: "Q0E=" }, "Fail", 13, "Never"]],
  );
  assert.deepEqual(mutating.metadata, { name: "podgate-dev", labels: { "app.kubernetes.io/managed-by": "podgate-dev" } });
  assert.deepEqual(mutating.webhooks[0]!.namespaceSelector?.matchExpressions?.[0]?.values, ["kube-system", "kube-node-lease"]);
  assert.equal(validating.webhooks.length, 1);
  const [policy] = validating.webhooks;
  assert.match(policy!.clientConfig?.url ?? "", /^https:\/\/127\.0\.0\.1:9443\/validate/);
  assert.ok(policy!.rules?.some((r) => r.resources?.includes("pods")), JSON.stringify(policy!.rules));
});

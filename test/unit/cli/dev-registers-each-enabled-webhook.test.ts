// `podgate dev` registers what the config serves, pointing at itself: the
// enabled mutating entries on the same requests as one call
// (/mutate/<name>/<name>...), routed by their rules: as the export routes
// them, the policy webhook with the rules its policies compile to, system
// namespaces left out.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

test("an entry's rules: route its webhook as the export does; a module's webhook without them gets pod creates", async () => {
  const dir = await mkdtemp(join(tmpdir(), "podgate-dev-"));
  const podgate = new URL("../../../src/index.ts", import.meta.url).href;
  await writeFile(join(dir, "label.ts"), `import { defineMutatingWebhook } from ${JSON.stringify(podgate)};\nexport default defineMutatingWebhook({ mutate() {} });\n`);
  const routed = parseConfig(
    `admission:
  mutating:
    - {name: label, module: label.ts}
    - {name: defaults, type: defaults, settings: {}}
    - name: deployments
      module: label.ts
      rules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
`,
    registry,
    join(dir, "podgate.yaml"),
    dir,
  );
  const { mutating } = devConfigurations(routed, { name: "podgate-dev", url: "https://127.0.0.1:9443", caBundle: "Q0E=" });
  assert.deepEqual(
    mutating.webhooks.map((w) => [w.clientConfig?.url, w.rules?.map((r) => `${r.operations?.join("+")} ${r.resources?.join("+")}`)]),
    [
      ["https://127.0.0.1:9443/mutate/label/defaults", ["CREATE pods"]],
      ["https://127.0.0.1:9443/mutate/deployments", ["CREATE+UPDATE deployments"]],
    ],
  );
});

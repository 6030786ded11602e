// Property tests over generated pods: the patch applies cleanly to the original,
// gives exactly the pod the webhooks produced, keeps everything the user wrote
// (including keys with "/" and "~"), never duplicates a name, and a second pass
// patches nothing.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import fc from "fast-check";
import { cloneObject } from "../../../src/admission/patch.ts";
import type { KubeObject } from "../../../src/admission/review.ts";
import { registry } from "../../../src/wiring.ts";
import { parseConfig } from "../../../src/config/load.ts";
import { mutatePod, podRequest } from "../../support/admission.ts";

const config = parseConfig(readFileSync(new URL("../../fixtures/mutating/config.yaml", import.meta.url), "utf8"), registry);

const name = fc.constantFrom("app", "web", "worker", "proxy", "mesh", "setup", "a-1");
const tricky = fc.stringMatching(/^[a-z~/.]{1,6}(~0|~1|\/|~)[a-z~/]{0,4}$/);
const keys = fc.oneof(tricky, fc.constantFrom("app", "app.kubernetes.io/name", "example.com/a~b", "x/y/z", "~1", "~0"));
const stringMap = fc.dictionary(keys, fc.string({ maxLength: 8 }), { maxKeys: 4 });
const envVar = fc.record({ name: fc.constantFrom("HTTP_PROXY", "NO_PROXY", "OTEL_SERVICE_NAME", "FOO"), value: fc.string({ maxLength: 6 }) });
const mount = fc.record({ name: fc.constantFrom("proxy-certs", "data", "cache"), mountPath: fc.constantFrom("/etc/proxy/certs", "/data", "/cache") });
const quantity = fc.constantFrom("50m", "100m", "1", "64Mi", "1Gi");
const container = fc.record(
  {
    name,
    image: fc.constantFrom("nginx:1.27", "busybox"),
    env: fc.uniqueArray(envVar, { selector: (e) => e.name, maxLength: 3 }),
    volumeMounts: fc.uniqueArray(mount, { selector: (m) => m.mountPath, maxLength: 2 }),
    resources: fc.record({ requests: fc.record({ cpu: quantity, memory: quantity }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    imagePullPolicy: fc.constantFrom("Always", "Never"),
  },
  { requiredKeys: ["name", "image"] },
);
/** Mostly well-formed values, so most pods reach injection, with the occasional bad one. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 8 }, { arbitrary: bad, weight: 1 });
const annotation = fc.record(
  {
    "sidecar.podgate.io/inject": mostly(fc.constant("true"), fc.constantFrom("false", "maybe")),
    "sidecar.podgate.io/native": fc.constantFrom("true", "false"),
    "sidecar.podgate.io/templates": mostly(fc.constantFrom("proxy", "mesh", "proxy,tracing", "mesh,proxy"), fc.constant("nope")),
    "sidecar.podgate.io/cpu": mostly(fc.constantFrom("10m", "1"), fc.constant("9")),
    "defaults.podgate.io/resources": fc.constantFrom("false", "true"),
  },
  { requiredKeys: ["sidecar.podgate.io/inject"] },
);

const pod = fc
  .record(
    {
      name: fc.constantFrom("p", "web-0"),
      generateName: fc.constantFrom("web-6d4cf56db6-"),
      namespace: mostly(fc.constantFrom("shop", "batch"), fc.constant("kube-system")),
      labels: stringMap,
      annotations: fc.tuple(stringMap, annotation).map(([a, b]) => ({ ...a, ...b })),
      containers: fc.uniqueArray(container, { selector: (c) => c.name, minLength: 1, maxLength: 3 }),
      initContainers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 2 }),
      volumes: fc.uniqueArray(fc.record({ name: fc.constantFrom("proxy-certs", "data", "cache"), emptyDir: fc.constant({}) }), { selector: (v) => v.name, maxLength: 2 }),
      hostNetwork: mostly(fc.constant(false), fc.constant(true)),
    },
    { requiredKeys: ["containers", "generateName"] },
  )
  // Container names are unique across containers and init containers, as the apiserver requires.
  .filter((p) => new Set([...p.containers, ...(p.initContainers ?? [])].map((c) => c.name)).size === p.containers.length + (p.initContainers?.length ?? 0))
  .map(({ name: podName, generateName, namespace, labels, annotations, containers, initContainers, volumes, hostNetwork }): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...(podName ? { name: podName } : { generateName }), ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    spec: { containers, ...(initContainers ? { initContainers } : {}), ...(volumes ? { volumes } : {}), ...(hostNetwork ? { hostNetwork } : {}) },
  }))
  // As decoded from a request body: plain JSON objects (fast-check makes null-prototype ones).
  .map((p) => JSON.parse(JSON.stringify(p)) as KubeObject);

function names(list: unknown): string[] {
  return ((list ?? []) as Array<{ name: string }>).map((i) => i.name);
}

function counts(list: unknown): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of names(list)) out.set(n, (out.get(n) ?? 0) + 1);
  return out;
}

/** No name occurs more often than the user wrote it (or once, if podgate added it). */
function assertNoAddedDuplicates(original: KubeObject, result: KubeObject): void {
  const specOf = (o: KubeObject) => o["spec"] as Record<string, unknown>;
  const containersOf = (o: KubeObject) => [...((specOf(o)["containers"] ?? []) as KubeObject[]), ...((specOf(o)["initContainers"] ?? []) as KubeObject[])];
  const check = (before: unknown, after: unknown, what: string) => {
    const was = counts(before);
    for (const [n, count] of counts(after)) assert.ok(count <= Math.max(was.get(n) ?? 0, 1), `duplicate ${what} ${n}`);
  };
  check(containersOf(original), containersOf(result), "container");
  check(specOf(original)["volumes"], specOf(result)["volumes"], "volume");
  check(specOf(original)["imagePullSecrets"], specOf(result)["imagePullSecrets"], "imagePullSecret");
  const originalByName = new Map(containersOf(original).map((c) => [c["name"], c]));
  for (const c of containersOf(result)) {
    const before = originalByName.get(c["name"]);
    check(before?.["env"], c["env"], `env var in ${String(c["name"])}`);
    check(before?.["volumeMounts"], c["volumeMounts"], `volume mount in ${String(c["name"])}`);
  }
}

/** Everything the user wrote is still there, unchanged: labels, annotations, and each container's env values and settings. */
function assertUserValuesKept(original: KubeObject, result: KubeObject): void {
  const before = original["metadata"] as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const after = result["metadata"] as typeof before;
  for (const [k, v] of Object.entries(before.labels ?? {})) assert.equal(after.labels?.[k], v, `label ${k}`);
  for (const [k, v] of Object.entries(before.annotations ?? {})) assert.equal(after.annotations?.[k], v, `annotation ${k}`);
  const all = (o: KubeObject) => {
    const spec = o["spec"] as Record<string, KubeObject[] | undefined>;
    return [...(spec["containers"] ?? []), ...(spec["initContainers"] ?? [])] as Array<Record<string, unknown>>;
  };
  const resultByName = new Map(all(result).map((c) => [c["name"], c]));
  for (const c of all(original)) {
    const now = resultByName.get(c["name"]);
    assert.ok(now, `container ${String(c["name"])} kept`);
    assert.equal(now["image"], c["image"]);
    if (c["imagePullPolicy"] !== undefined) assert.equal(now["imagePullPolicy"], c["imagePullPolicy"]);
    const env = new Map(((now["env"] ?? []) as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
    for (const e of (c["env"] ?? []) as Array<{ name: string; value: string }>) assert.equal(env.get(e.name), e.value, `env ${e.name}`);
    const requests = (c["resources"] as { requests?: Record<string, string> } | undefined)?.requests ?? {};
    const nowRequests = (now["resources"] as { requests?: Record<string, string> } | undefined)?.requests ?? {};
    for (const [r, q] of Object.entries(requests)) assert.equal(nowRequests[r], q, `request ${r}`);
  }
}

describe("mutating webhooks over generated pods", () => {
  for (const [chain, handlers] of [
    ["sidecar", config.mutating.filter((h) => h.name === "sidecar")],
    ["defaults", config.mutating.filter((h) => h.name === "defaults")],
    ["sidecar then defaults", config.mutating],
  ] as const) {
    it(`${chain}: the patch applies cleanly, gives the webhook's pod, keeps the user's values, and a second pass patches nothing`, async () => {
      let changed = 0;
      await fc.assert(
        fc.asyncProperty(pod, async (original) => {
          const frozen = cloneObject(original);
          const first = await mutatePod(handlers, original);
          assert.deepEqual(original, frozen, "the original must not be modified");
          assert.equal(first.allowed, true);
          // The pod the handlers meant to store: run them in turn as the runner does.
          let expected = original;
          for (const handler of handlers) {
            const decision = await handler.handle(podRequest(cloneObject(expected)), { signal: AbortSignal.timeout(5000), dryRun: false });
            if (decision.object) expected = decision.object;
          }
          assert.deepEqual(first.result, expected);
          if (first.patch.length > 0) changed += 1;
          assertNoAddedDuplicates(original, first.result);
          assertUserValuesKept(original, first.result);
          for (const w of first.warnings) assert.ok(w.length <= 120, `warning too long: ${w}`);
          const second = await mutatePod(handlers, first.result);
          assert.deepEqual(second.patch, []);
        }),
        { numRuns: 150 },
      );
      // Guard against a generator that never reaches the interesting path.
      assert.ok(changed >= 20, `only ${changed} of 150 generated pods were mutated`);
    });
  }
});

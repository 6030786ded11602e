// Mutating policies on the real apiserver: the corpus of map-corpus.ts (both
// patch types, one policy per template) against seeded random pods. Each pod's
// server-side dry-run create is done three ways, and the stored objects (or
// denials) must agree:
// - native: the policies exported with `podgate export map`, run by
//   kube-apiserver's MutatingAdmissionPolicy plugin in one namespace;
// - webhook: podgate's mutating `policy` webhook serving the same policies,
//   in another;
// - offline: podgate's engine on the exported native objects read back
//   (`podgate test`/`apply`'s path for native policies), its result created
//   in a namespace without policies, so the apiserver defaults it as it
//   defaults a mutated object.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, type V1MutatingWebhookConfiguration } from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { kubeRequest } from "../../src/kube/api-request.ts";
import { KubeApiError } from "../../src/kube/errors.ts";
import { applySchemaFrom } from "../../src/kube/apply-schema-gen.ts";
import { APPLY_ROOTS, APPLY_SCHEMA_PATH } from "../../src/kube/apply-schema.ts";
import { loadMutatingPolicyFiles } from "../../webhooks/policy/load.ts";
import { mutateAll } from "../../webhooks/policy/mutating.ts";
import { WITHOUT_PODGATE_LABEL } from "../harness/webhooks.ts";
import { startPodgate, type Podgate } from "../reliability/podgate.ts";
import { randomDefaultsPod } from "../support/defaults-pods.ts";
import { random, randomSidecarPod } from "../support/sidecar-pods.ts";
import { mutatingPolicyFor, randomPods, TEMPLATES } from "./map-corpus.ts";
import { env, kubeConfig, kubectl, namespace, poll, pooled } from "./support/cluster.ts";

const REPO = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const PODS = 1040;
const SEED = 41;
const MODE_LABEL = "e2e.podgate.dev/map";
// Sorted before the harness's own configuration, so podgate's policies run before its defaults webhook, as native policies run before webhooks.
const WEBHOOK_CONFIG = "a-podgate-e2e-map";
const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
const request = kubeRequest(kubeConfig, { maxSockets: 8 });
const pods = randomPods(SEED, PODS);

type Outcome = { denied: true; message: string } | { denied: false; object: unknown };

/** What the apiserver would store: the object without what differs per namespace and per create. */
function stored(object: Record<string, any>): unknown {
  const { namespace: _ns, uid: _uid, creationTimestamp: _ts, managedFields: _mf, resourceVersion: _rv, generation: _g, ...metadata } = object["metadata"] as Record<string, unknown>;
  const { status: _status, ...rest } = object;
  // A generated name differs per create.
  if (metadata["generateName"] !== undefined) delete metadata["name"];
  return { ...rest, metadata };
}

async function dryRun(ns: string, pod: Record<string, any>): Promise<Outcome> {
  try {
    const created = (await request("POST", `/api/v1/namespaces/${ns}/pods?dryRun=All`, { ...pod, metadata: { ...pod["metadata"], namespace: ns } })) as Record<string, any>;
    return { denied: false, object: stored(created) };
  } catch (error) {
    if (error instanceof KubeApiError && (error.status === 403 || error.status === 422 || error.status === 400)) return { denied: true, message: error.message };
    throw error;
  }
}

let work = "";
let podgate: Podgate | undefined;
let nativeNs = "";
let webhookNs = "";
let plainNs = "";
let mapObjects: Record<string, any>[] = [];
let nativeDir = "";

before(async () => {
  work = await mkdtemp(join(tmpdir(), "podgate-e2e-map-"));
  nativeNs = await namespace("e2e-map-native", { inject: false, labels: { [MODE_LABEL]: "native" } });
  webhookNs = await namespace("e2e-map-webhook", { inject: false, labels: { [MODE_LABEL]: "webhook" } });
  plainNs = await namespace("e2e-map-plain", { inject: false });

  // Native: the policies scoped to the native namespace, exported as a user would.
  const sourceDir = join(work, "native-source");
  await mkdir(sourceDir);
  for (const i of TEMPLATES.keys()) await writeFile(join(sourceDir, `map-e2e-${i}.yaml`), stringify(mutatingPolicyFor(i, MODE_LABEL, "native")));
  const { stdout, stderr } = await run(process.execPath, [join(REPO, "bin/podgate.js"), "export", "map", "-p", sourceDir], { cwd: REPO, maxBuffer: 64 << 20 });
  assert.equal(stderr, "", "export map skipped policies");
  mapObjects = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>);
  assert.equal(mapObjects.length, 2 * TEMPLATES.length);
  nativeDir = join(work, "native");
  await mkdir(nativeDir);
  await writeFile(join(nativeDir, "maps.yaml"), stdout);
  const applied = await kubectl(["apply", "-f", join(nativeDir, "maps.yaml")]);
  assert.equal(applied.code, 0, applied.stderr);

  // Webhook: a podgate serving the same policies, registered for pods in the webhook namespace.
  const webhookDir = join(work, "webhook");
  await mkdir(webhookDir);
  for (const i of TEMPLATES.keys()) await writeFile(join(webhookDir, `map-e2e-${i}.yaml`), stringify(mutatingPolicyFor(i, MODE_LABEL, "webhook")));
  const config = stringify({
    server: { host: "127.0.0.1", port: 0, tlsDir: join(work, "tls"), logLevel: "info" },
    namespaces: { watch: true },
    admission: { mutating: [{ name: "map", type: "policy", failurePolicy: "Fail", timeoutSeconds: 10, settings: { files: [webhookDir] } }], validating: [] },
  });
  process.env["KUBECONFIG"] = env.kubeconfig;
  podgate = await startPodgate({ dir: join(work, "podgate"), config });
  // Registered as podgate exports it: rules and namespaceSelector from the policies.
  const exported = await run(
    process.execPath,
    [join(REPO, "bin/podgate.js"), "export", "webhooks", "--config", join(work, "podgate", "podgate.yaml"), "--url", podgate.url, "--ca-bundle-file", join(work, "tls", "ca.crt"), "--mutating-name", WEBHOOK_CONFIG],
    { cwd: REPO, maxBuffer: 64 << 20 },
  );
  const mutatingConfig = parseAllDocuments(exported.stdout)
    .map((d) => d.toJS() as Record<string, any>)
    .find((o) => o["kind"] === "MutatingWebhookConfiguration")!;
  assert.deepEqual(mutatingConfig["webhooks"][0].namespaceSelector.matchLabels, { [MODE_LABEL]: "webhook" });
  await admission.createMutatingWebhookConfiguration({ body: mutatingConfig as V1MutatingWebhookConfiguration });

  // In force once the first template's pod is labelled in both namespaces.
  for (const ns of [nativeNs, webhookNs]) {
    await poll(`the mutating policies in force in ${ns}`, 90_000, async () => {
      const outcome = await dryRun(ns, pods[0]!);
      return !outcome.denied && (outcome.object as { metadata: { labels?: Record<string, string> } }).metadata.labels?.["mutated"] === "yes";
    });
  }
});

after(async () => {
  await admission.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG }).catch(() => undefined);
  if (mapObjects.length > 0) await kubectl(["delete", "--ignore-not-found", "-f", join(nativeDir, "maps.yaml")]);
  await podgate?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("the apply schema podgate ships is the one the harness apiserver builds from its OpenAPI", async () => {
  const specs = await Promise.all(["/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1", "/openapi/v3/apis/batch/v1"].map((path) => request("GET", path)));
  const schemas = Object.assign({}, ...specs.map((s) => (s as { components: { schemas: object } }).components.schemas)) as Parameters<typeof applySchemaFrom>[0];
  assert.deepEqual(applySchemaFrom(schemas, APPLY_ROOTS), JSON.parse(readFileSync(APPLY_SCHEMA_PATH, "utf8")), `${APPLY_SCHEMA_PATH} is stale: regenerate it with node src/kube/apply-schema-gen.ts`);
});

test(`${PODS} random pods under ${TEMPLATES.length} mutating policies (seed ${SEED}): native MutatingAdmissionPolicies, podgate's webhook and podgate offline store the same objects and deny the same pods`, async () => {
  // Offline: podgate's engine on the native objects it exported, read back as a user's repo holds them.
  const offlinePolicies = loadMutatingPolicyFiles([nativeDir]);
  const namespaceObject = { apiVersion: "v1", kind: "Namespace", metadata: { name: nativeNs, labels: { [MODE_LABEL]: "native", "kubernetes.io/metadata.name": nativeNs } } };
  const mutated = new Set<string>();
  const offline = async (pod: Record<string, any>): Promise<Outcome> => {
    const review = { uid: pod["metadata"].name, kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, name: pod["metadata"].name, namespace: nativeNs, operation: "CREATE" as const };
    // The engine sees the object as the apiserver hands it to admission: decoded and defaulted.
    const defaulted = await dryRun(plainNs, pod);
    if (defaulted.denied) return defaulted;
    const admitted = { ...(defaulted.object as Record<string, any>), metadata: { ...(defaulted.object as Record<string, any>)["metadata"], namespace: nativeNs } };
    const result = mutateAll(offlinePolicies, { request: { ...review, object: admitted }, namespaceObject });
    if (result.denial !== undefined) return { denied: true, message: result.denial };
    if (result.object !== admitted) mutated.add(pod["metadata"].name);
    return dryRun(plainNs, result.object);
  };
  const native = await pooled(pods, 6, (pod) => dryRun(nativeNs, pod));
  const webhook = await pooled(pods, 6, (pod) => dryRun(webhookNs, pod));
  const offlineOutcomes = await pooled(pods, 6, offline);
  const problems: string[] = [];
  const tally = { changed: 0, unchanged: 0, denied: 0 };
  pods.forEach((pod, i) => {
    const said = { native: native[i]!, webhook: webhook[i]!, offline: offlineOutcomes[i]! };
    const verdict = (o: Outcome) => (o.denied ? "denied" : JSON.stringify(o.object));
    tally[said.native.denied ? "denied" : mutated.has(pod["metadata"].name) ? "changed" : "unchanged"]++;
    if (new Set([verdict(said.native), verdict(said.webhook), verdict(said.offline)]).size > 1) {
      problems.push(`template ${i % TEMPLATES.length}, pod ${JSON.stringify(pod)}:\n  native ${describe(said.native)}\n  webhook ${describe(said.webhook)}\n  offline ${describe(said.offline)}`);
    }
  });
  process.stderr.write(`map e2e: ${PODS} pods, ${TEMPLATES.length} policies: ${tally.changed} mutated, ${tally.denied} denied, ${tally.unchanged} other; ${problems.length} disagreements\n`);
  assert.ok(tally.changed >= PODS / 2 && tally.denied >= PODS / 20, `the sample tests little: ${JSON.stringify(tally)}`);
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} disagreements`);
});

test("600 random pods: the sidecar and defaults exported as MutatingAdmissionPolicies (podgate export map --config), with podgate never called, store on the real apiserver what podgate's webhooks store", async () => {
  // The apiserver never calls podgate for this namespace (the harness's webhooks exclude the label): as with podgate stopped.
  const sidecarNative = await namespace("e2e-sidecar-native", { inject: false, labels: { [MODE_LABEL]: "sidecar", [WITHOUT_PODGATE_LABEL]: "true" } });
  const sidecarWebhook = await namespace("e2e-sidecar-webhook");
  // The harness's sidecar and defaults (the webhook namespace gets both, in one call), in force in the native namespace only.
  const files = [await applyExported("sidecar-", "sidecar"), await applyExported("defaults-", "sidecar")];
  try {
    await policyInForce(sidecarNative, (pod) => pod.spec.containers.length === 2 && pod.spec.containers[0]?.resources?.requests !== undefined);
    const r = random(SEED);
    const sample = Array.from({ length: 600 }, () => randomSidecarPod(r, true));
    const native = await pooled(sample, 6, (pod) => dryRun(sidecarNative, pod));
    const webhook = await pooled(sample, 6, (pod) => dryRun(sidecarWebhook, pod));
    const problems: string[] = [];
    const tally = { injected: 0, alike: 0, leftToWebhook: 0 };
    sample.forEach((pod, i) => {
      const annotations: Record<string, string> = pod["metadata"].annotations ?? {};
      const injected = (o: Outcome) => !o.denied && "sidecar.podgate.io/status" in ((o.object as { metadata: { annotations?: object } }).metadata.annotations ?? {}) && !("sidecar.podgate.io/status" in annotations);
      // Per-pod values are left to the webhook by design (export-map.ts).
      if (Object.keys(annotations).some((k) => /^(log-shipper\.)?sidecar\.podgate\.io\/(image|cpu|memory)$/.test(k))) {
        if (injected(webhook[i]!)) {
          tally.leftToWebhook++;
          if (injected(native[i]!)) problems.push(`pod ${i} sets a value, so the policy must leave it alone: ${JSON.stringify(pod)}`);
        }
        return;
      }
      tally[injected(webhook[i]!) ? "injected" : "alike"]++;
      // Denials must agree on the reason; the namespace and a generated name differ by construction.
      const same = (o: Outcome) => (o.denied ? `denied: ${o.message.replaceAll(sidecarNative, "NS").replaceAll(sidecarWebhook, "NS").replace(/Pod "[^"]*"/, "Pod")}` : JSON.stringify(o.object));
      if (same(native[i]!) !== same(webhook[i]!)) problems.push(`pod ${i}: ${JSON.stringify(pod)}\n  native ${describe(native[i]!)}\n  webhook ${describe(webhook[i]!)}`);
    });
    process.stderr.write(`sidecar map e2e: ${sample.length} pods: ${tally.injected} injected, ${tally.alike} not, ${tally.leftToWebhook} left to the webhook; ${problems.length} disagreements\n`);
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} disagreements`);
    assert.ok(tally.injected >= 100 && tally.alike >= 50, `the sample tests little: ${JSON.stringify(tally)}`);
  } finally {
    for (const file of files) await kubectl(["delete", "--ignore-not-found", "-f", file]);
  }
});

test("400 random pods: the defaults exported as a MutatingAdmissionPolicy (podgate export map --config), with podgate never called, store on the real apiserver what podgate's defaults webhook stores", async () => {
  const nativeNs = await namespace("e2e-defaults-native", { inject: false, labels: { [MODE_LABEL]: "defaults", [WITHOUT_PODGATE_LABEL]: "true" } });
  const webhookNs = await namespace("e2e-defaults-webhook", { inject: false });
  const file = await applyExported("defaults-", "defaults");
  try {
    await policyInForce(nativeNs, (pod) => pod.spec.containers[0]?.resources?.requests !== undefined);
    const r = random(SEED);
    const sample = Array.from({ length: 400 }, () => randomDefaultsPod(r, true));
    const native = await pooled(sample, 6, (pod) => dryRun(nativeNs, pod));
    const webhook = await pooled(sample, 6, (pod) => dryRun(webhookNs, pod));
    const same = (o: Outcome) => (o.denied ? `denied: ${o.message.replaceAll(nativeNs, "NS").replaceAll(webhookNs, "NS")}` : JSON.stringify(o.object));
    const problems = sample.flatMap((pod, i) => (same(native[i]!) === same(webhook[i]!) ? [] : [`pod ${i}: ${JSON.stringify(pod)}\n  native ${describe(native[i]!)}\n  webhook ${describe(webhook[i]!)}`]));
    const admitted = native.filter((o) => !o.denied).length;
    process.stderr.write(`defaults map e2e: ${sample.length} pods, ${admitted} admitted; ${problems.length} disagreements\n`);
    assert.deepEqual(problems.slice(0, 5), [], `${problems.length} disagreements`);
    assert.ok(admitted >= 300, `only ${admitted} pods were admitted: the sample tests little`);
  } finally {
    await kubectl(["delete", "--ignore-not-found", "-f", file]);
  }
});

/**
 * The harness config's exported policies whose names start with `prefix` (`podgate export map -c`), applied
 * in force only in namespaces labelled `mode`; the file to delete them with.
 */
async function applyExported(prefix: string, mode: string): Promise<string> {
  const { stdout } = await run(process.execPath, [join(REPO, "bin/podgate.js"), "export", "map", "-c", join(REPO, "test/e2e/podgate.yaml")], { cwd: REPO, maxBuffer: 64 << 20 });
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJS() as Record<string, any>)
    .filter((o) => String(o["metadata"].name).startsWith(prefix));
  for (const o of objects) if (o["kind"] === "MutatingAdmissionPolicy") o["spec"].matchConstraints.namespaceSelector = { matchLabels: { [MODE_LABEL]: mode } };
  const file = join(work, `${prefix}maps.yaml`);
  await writeFile(file, objects.map((o) => JSON.stringify(o)).join("\n"));
  const applied = await kubectl(["apply", "-f", file]);
  assert.equal(applied.code, 0, applied.stderr);
  return file;
}

interface StoredPod {
  spec: { containers: { resources?: { requests?: object } }[] };
}

/** Waits until a plain pod's dry-run create in `ns` shows the policy's work. */
async function policyInForce(ns: string, done: (pod: StoredPod) => boolean): Promise<void> {
  const probe = { apiVersion: "v1", kind: "Pod", metadata: { name: "probe" }, spec: { automountServiceAccountToken: false, containers: [{ name: "app", image: "registry.local/app:1" }] } };
  await poll(`the exported policy in force in ${ns}`, 90_000, async () => {
    const outcome = await dryRun(ns, probe);
    return !outcome.denied && done(outcome.object as StoredPod);
  });
}

const describe = (o: Outcome) => (o.denied ? `denied: ${o.message}` : JSON.stringify(o.object));

// Kubernetes' CEL libraries on the real apiserver: one policy per expression
// template of the CEL differential corpus (test/cel/cases.ts: every library,
// seeded random inputs), its value shown by the policy's messageExpression.
// Each random case becomes an object of a schemaless custom resource; a
// server-side dry-run create of it is judged three ways, which must agree:
// - the policies exported as native ValidatingAdmissionPolicies (`podgate
//   export vap --separate`), in force in one namespace;
// - podgate's validating webhook serving the same policies, in another;
// - podgate offline (the policy engine `podgate test` runs).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api, CustomObjectsApi, type V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { compilePolicy } from "../../webhooks/policy/declarative.ts";
import { decide, evaluateAll } from "../../webhooks/policy/decide.ts";
import { policyDocument, type PolicyDocument } from "../../webhooks/policy/schema.ts";
import { generated } from "../cel/cases.ts";
import { startPodgate, type Podgate } from "../reliability/podgate.ts";
import { apiError, env, kubeConfig, kubectl, namespace, poll, pooled } from "./support/cluster.ts";

const REPO = resolve(import.meta.dirname, "../..");
const run = promisify(execFile);
const CASES = 1200;
const SEED = 23;
const GROUP = "e2e.podgate.dev";
const PLURAL = "celcases";
const MODE_LABEL = "e2e.podgate.dev/cel";
const WEBHOOK_CONFIG = "podgate-e2e-cel";
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);

const CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${PLURAL}.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: PLURAL, singular: "celcase", kind: "CelCase" },
    versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } } } }],
  },
};

// Random cases read their inputs as params.*; here the inputs are the object's spec.params.
const cases = generated(SEED, CASES).filter((c) => c.authz === undefined);
const templates = [...new Set(cases.map((c) => c.expr))];
const FAILED = "ERR";

/** One policy per template: always fails, its message the template's value, or ERR when that errors. */
function policyFor(index: number, expr: string, mode: "native" | "webhook"): PolicyDocument {
  return policyDocument.parse({
    apiVersion: "podgate.dev/v1alpha1",
    kind: "Policy",
    metadata: { name: `cel-e2e-${index}` },
    spec: {
      failurePolicy: "Fail",
      matchConstraints: {
        resourceRules: [{ apiGroups: [GROUP], apiVersions: ["v1"], resources: [PLURAL], operations: ["CREATE"] }],
        namespaceSelector: { matchLabels: { [MODE_LABEL]: mode } },
      },
      matchConditions: [{ name: "template", expression: `object.spec.template == ${index}` }],
      // dyn(): a value %s cannot print (a Quantity, an IP...) is then an evaluation error, not a compile one.
      validations: [{ expression: "false", message: FAILED, messageExpression: `'ok:' + '%s'.format([dyn(${expr.replaceAll(/\bparams\./g, "object.spec.params.")})])` }],
    },
  });
}

const objectOf = (i: number) => ({ apiVersion: `${GROUP}/v1`, kind: "CelCase", metadata: { name: `case-${i}` }, spec: { template: templates.indexOf(cases[i]!.expr), params: cases[i]!.vars?.params ?? {} } });

/** The denial's text after the policy's name: the template's value as the policy showed it. */
async function dryRun(ns: string, object: ReturnType<typeof objectOf>): Promise<string> {
  try {
    await custom.createNamespacedCustomObject({ group: GROUP, version: "v1", namespace: ns, plural: PLURAL, body: { ...object, metadata: { ...object.metadata, namespace: ns } }, dryRun: "All" });
    return "allowed";
  } catch (error) {
    const { code, message } = apiError(error);
    if (code !== 403 && code !== 422) throw new Error(`dry-run create in ${ns}: HTTP ${code}: ${message}`, { cause: error });
    return shown(message);
  }
}

/** What a denial says the value was: a VAP's "denied request: <message>", podgate's "policy <name>: <message>". */
function shown(message: string): string {
  const m = /(?:denied request: |policy cel-e2e-\d+: )([\s\S]*)$/.exec(message);
  return m ? m[1]! : `unexpected: ${message}`;
}

let work = "";
let podgate: Podgate | undefined;
let nativeNs = "";
let webhookNs = "";
let vapObjects: Record<string, any>[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), "podgate-e2e-cel-"));
  const crd = await kubectl(["apply", "-f", "-"], JSON.stringify(CRD));
  assert.equal(crd.code, 0, crd.stderr);
  await poll("the CelCase CRD established", 60_000, async () => (await kubectl(["wait", "--for=condition=Established", `crd/${PLURAL}.${GROUP}`, "--timeout=5s"])).code === 0);
  nativeNs = await namespace("e2e-cel-native", { inject: false, labels: { [MODE_LABEL]: "native" } });
  webhookNs = await namespace("e2e-cel-webhook", { inject: false, labels: { [MODE_LABEL]: "webhook" } });

  // Native: the policies scoped to the native namespace, exported as the user would.
  const nativeDir = join(work, "native");
  await mkdir(nativeDir);
  for (const [i, expr] of templates.entries()) await writeFile(join(nativeDir, `cel-e2e-${i}.yaml`), stringify(policyFor(i, expr, "native")));
  const { stdout } = await run(process.execPath, [join(REPO, "bin/podgate.js"), "export", "vap", "--separate", "-p", nativeDir], { cwd: REPO, maxBuffer: 64 << 20 });
  vapObjects = parseAllDocuments(stdout).map((d) => d.toJS() as Record<string, any>);
  const applied = await kubectl(["apply", "-f", "-"], vapObjects.map((o) => JSON.stringify(o)).join("\n"));
  assert.equal(applied.code, 0, applied.stderr);

  // Webhook: a podgate serving the same policies, scoped to the webhook namespace, registered as podgate exports it.
  const webhookDir = join(work, "webhook");
  await mkdir(webhookDir);
  for (const [i, expr] of templates.entries()) await writeFile(join(webhookDir, `cel-e2e-${i}.yaml`), stringify(policyFor(i, expr, "webhook")));
  const config = stringify({
    server: { host: "127.0.0.1", port: 0, tlsDir: join(work, "tls"), logLevel: "info" },
    namespaces: { watch: true },
    admission: { mutating: [], validating: [{ name: "cel", type: "policy", failurePolicy: "Fail", timeoutSeconds: 10, settings: { files: [webhookDir] } }] },
  });
  process.env["KUBECONFIG"] = env.kubeconfig;
  podgate = await startPodgate({ dir: join(work, "podgate"), config });
  const configPath = join(work, "podgate", "podgate.yaml");
  const caFile = join(work, "tls", "ca.crt");
  const exported = await run(process.execPath, [join(REPO, "bin/podgate.js"), "export", "webhooks", "--config", configPath, "--url", podgate.url, "--ca-bundle-file", caFile, "--name", WEBHOOK_CONFIG], { cwd: REPO, maxBuffer: 64 << 20 });
  const validating = parseAllDocuments(exported.stdout)
    .map((d) => d.toJS() as { kind?: string })
    .find((o) => o.kind === "ValidatingWebhookConfiguration") as V1ValidatingWebhookConfiguration;
  await admission.createValidatingWebhookConfiguration({ body: validating });

  // In force once the first case is denied by a policy in both namespaces.
  for (const ns of [nativeNs, webhookNs]) {
    let last = "";
    await poll(`the policies in force in ${ns}`, 90_000, async () => !(last = await dryRun(ns, objectOf(0))).startsWith("unexpected") && last !== "allowed").catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last answer: ${last}`, { cause: error });
    });
  }
});

after(async () => {
  await admission.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIG }).catch(() => undefined);
  if (vapObjects.length > 0) await kubectl(["delete", "--ignore-not-found", "-f", "-"], vapObjects.map((o) => JSON.stringify(o)).join("\n"));
  await podgate?.stop();
  await kubectl(["delete", "--ignore-not-found", `crd/${PLURAL}.${GROUP}`]);
  if (work) await rm(work, { recursive: true, force: true });
});

test(`${CASES} random cases of Kubernetes' CEL libraries (${templates.length} expression templates, seed ${SEED}): native VAPs on the real apiserver, podgate's webhook and podgate offline show the same values`, async () => {
  const offlinePolicies = templates.map((expr, i) => compilePolicy(policyFor(i, expr, "webhook"), "e2e"));
  const offline = (i: number): string => {
    const object = objectOf(i);
    const request = {
      uid: `case-${i}`,
      kind: { group: GROUP, version: "v1", kind: "CelCase" },
      resource: { group: GROUP, version: "v1", resource: PLURAL },
      name: object.metadata.name,
      namespace: webhookNs,
      operation: "CREATE" as const,
      object: { ...object, metadata: { ...object.metadata, namespace: webhookNs } },
    };
    const decision = decide(evaluateAll(offlinePolicies, { request, namespaceObject: { apiVersion: "v1", kind: "Namespace", metadata: { name: webhookNs, labels: { [MODE_LABEL]: "webhook" } } } }));
    return decision.allowed ? "allowed" : shown(decision.status?.message ?? "");
  };
  const native = await pooled(cases, 6, (_, i) => dryRun(nativeNs, objectOf(i)));
  const webhook = await pooled(cases, 6, (_, i) => dryRun(webhookNs, objectOf(i)));
  const problems: string[] = [];
  let values = 0;
  cases.forEach((c, i) => {
    const said = { native: native[i]!, webhook: webhook[i]!, offline: offline(i) };
    if (said.native !== FAILED) values++;
    if (new Set(Object.values(said)).size > 1) problems.push(`${c.fn}: ${c.expr} with ${JSON.stringify(c.vars?.params)}: ${JSON.stringify(said)}`);
  });
  process.stderr.write(`cel e2e: ${cases.length} cases, ${templates.length} templates, ${values} with a value (the rest errors alike); ${problems.length} disagreements\n`);
  assert.ok(values >= cases.length / 2, `only ${values} of ${cases.length} cases had a value: the sample tests little`);
  assert.deepEqual(problems.slice(0, 20), [], `${problems.length} disagreements`);
});

// Flow step 7 and the deploy issue's checks against a real apiserver: the
// base manifests (and the kind overlay) pass `kubectl apply --dry-run=server`,
// and `podgate certs bootstrap` is idempotent.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { core, env, kubeConfig, kubectl } from "./support/cluster.ts";

const REPO = resolve(import.meta.dirname, "../..");
const NAMESPACE = "podgate";
const NAME = "podgate-e2e-bootstrap";
const run = promisify(execFile);
const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);

before(async () => {
  // the manifests' namespaced objects need their namespace to exist for a dry run
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch((error: unknown) => {
    if (!/409|AlreadyExists/.test(String((error as Error).message))) throw error;
  });
});

for (const dir of ["manifests/base", "manifests/overlays/kind"]) {
  // On kind podgate runs from overlays/kind, and a Job's pod template is immutable: the base's (another image) cannot apply over it.
  const skip = env.cluster === "kind" && dir === "manifests/base" ? "kind runs podgate from overlays/kind; the base's certificates Job differs in its immutable pod template (image)" : false;
  test(`${dir} applies to this apiserver with kubectl apply --dry-run=server`, { skip }, async () => {
    const result = await kubectl(["apply", "--dry-run=server", "-k", resolve(REPO, dir)]);
    assert.equal(result.code, 0, result.stderr);
    for (const kind of ["deployment.apps/podgate", "mutatingwebhookconfiguration.admissionregistration.k8s.io/podgate", "validatingwebhookconfiguration.admissionregistration.k8s.io/podgate", "job.batch/podgate-certificates"]) {
      assert.match(result.stdout, new RegExp(`${kind.replaceAll(".", "\\.")} (created|configured|unchanged) \\(server dry run\\)`));
    }
    if (env.cluster === "local") await assert.rejects(admission.readMutatingWebhookConfiguration({ name: "podgate" }), /404|not found/i, "a dry run registers nothing");
  });
}

// Webhook configurations that never match anything (no namespace carries the label), for bootstrap to patch.
const inert = (kind: "mutating" | "validating") => ({
  metadata: { name: NAME },
  webhooks: [
    {
      name: `inert.${kind}.podgate.io`,
      admissionReviewVersions: ["v1"],
      sideEffects: "None",
      failurePolicy: "Ignore",
      clientConfig: { service: { name: "podgate", namespace: NAMESPACE, path: "/inert" } },
      rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] }],
      namespaceSelector: { matchLabels: { "e2e.podgate.dev/never": "true" } },
    },
  ],
});

after(async () => {
  await admission.deleteMutatingWebhookConfiguration({ name: NAME }).catch(() => undefined);
  await admission.deleteValidatingWebhookConfiguration({ name: NAME }).catch(() => undefined);
  await core.deleteNamespacedSecret({ name: NAME, namespace: NAMESPACE }).catch(() => undefined);
});

test("podgate certs bootstrap against the real apiserver: creates the Secret and patches caBundle, then changes nothing", async () => {
  await admission.createMutatingWebhookConfiguration({ body: inert("mutating") });
  await admission.createValidatingWebhookConfiguration({ body: inert("validating") });
  const bootstrap = () =>
    run(process.execPath, [resolve(REPO, "bin/podgate.js"), "certs", "bootstrap", "--kubeconfig", env.kubeconfig, "--namespace", NAMESPACE, "--secret", NAME, "--mutating-webhook-config", NAME, "--validating-webhook-config", NAME], { cwd: REPO });
  const first = await bootstrap();
  assert.match(first.stdout, /changed: secret podgate\/podgate-e2e-bootstrap: created/);
  assert.match(first.stdout, /changed: MutatingWebhookConfiguration podgate-e2e-bootstrap: caBundle set/);
  assert.match(first.stdout, /changed: ValidatingWebhookConfiguration podgate-e2e-bootstrap: caBundle set/);
  const second = await bootstrap();
  assert.match(second.stdout, /nothing to change/);
  assert.doesNotMatch(second.stdout, /changed:/);
  const secret = await core.readNamespacedSecret({ name: NAME, namespace: NAMESPACE });
  const bundle = secret.data?.["ca-bundle.crt"];
  assert.ok(bundle, "the Secret carries the CA bundle");
  assert.equal((await admission.readMutatingWebhookConfiguration({ name: NAME })).webhooks?.[0]?.clientConfig.caBundle, bundle);
  assert.equal((await admission.readValidatingWebhookConfiguration({ name: NAME })).webhooks?.[0]?.clientConfig.caBundle, bundle);
});

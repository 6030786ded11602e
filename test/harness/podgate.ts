// The e2e suite's podgate: the public harness's (src/harness/podgate.ts) with
// this repository's build, the suite's config, and webhook configurations
// whose mutating part is the base manifests' (their selectors are what the
// e2e tests) and whose validating part is podgate's own export.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import type { ControlPlane } from "../../src/harness/controlplane.ts";
import { exportedWebhooks, type Podgate } from "../../src/harness/podgate.ts";
import { REPO } from "../support/build.ts";
import { baseMutatingConfiguration, urlMutatingConfiguration, WITHOUT_PODGATE } from "./webhooks.ts";

export const E2E_CONFIG = join(REPO, "test/e2e/podgate.yaml");
export const WEBHOOK_CONFIG_NAME = "podgate-e2e";

export async function registerWebhooks(plane: ControlPlane, podgate: Podgate): Promise<void> {
  const caBundle = (await readFile(podgate.caFile)).toString("base64");
  const api = plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  const mutating = urlMutatingConfiguration(baseMutatingConfiguration(REPO), { name: WEBHOOK_CONFIG_NAME, baseUrl: podgate.url, caBundle });
  await api.createMutatingWebhookConfiguration({ body: mutating });
  // podgate's own exporter compiles the validating rules (CREATE/UPDATE/DELETE) from the policies.
  const { validating } = await exportedWebhooks(podgate, WEBHOOK_CONFIG_NAME);
  if (!validating) throw new Error(`podgate export webhooks wrote no ValidatingWebhookConfiguration for ${podgate.configPath}`);
  for (const w of validating.webhooks ?? []) w.namespaceSelector = { ...w.namespaceSelector, matchExpressions: [...(w.namespaceSelector?.matchExpressions ?? []), { ...WITHOUT_PODGATE }] };
  await api.createValidatingWebhookConfiguration({ body: validating });
}

export async function removeWebhooks(plane: ControlPlane): Promise<void> {
  const api = plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
  await api.deleteMutatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME });
  await api.deleteValidatingWebhookConfiguration({ name: WEBHOOK_CONFIG_NAME });
}

/** Read whether a dry-run create of a pod shows the sidecar: the webhooks are live. */
export function hasSidecar(pod: { spec?: { containers?: { name: string }[] } }): boolean {
  return pod.spec?.containers?.some((c) => c.name === "log-shipper") ?? false;
}

// podgate's own webhook configurations, read and patched by name only: the
// RBAC role grants get/patch on exactly these resourceNames.
import { AdmissionregistrationV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { CaBundlePatch, WebhookConfigKind, WebhookConfigView } from "../certs/cabundle.ts";
import type { TrustTargets } from "../certs/reconcile.ts";
import { apiError, statusOf } from "./errors.ts";

export interface WebhookConfigNames {
  readonly mutating?: string;
  readonly validating?: string;
}

type Webhooks = { webhooks?: Array<{ name: string; clientConfig: { caBundle?: string } }> } | undefined;

function view(kind: WebhookConfigKind, name: string, object: Webhooks): WebhookConfigView {
  return { kind, name, webhooks: (object?.webhooks ?? []).map((w) => ({ name: w.name, ...(w.clientConfig.caBundle ? { caBundle: w.clientConfig.caBundle } : {}) })) };
}

export class WebhookTrustTargets implements TrustTargets {
  readonly #api: AdmissionregistrationV1Api;
  readonly #names: WebhookConfigNames;

  constructor(kubeConfig: KubeConfig, names: WebhookConfigNames) {
    this.#api = kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    this.#names = names;
  }

  async read(): Promise<{ configs: WebhookConfigView[]; missing: string[] }> {
    const configs: WebhookConfigView[] = [];
    const missing: string[] = [];
    const load = async (kind: WebhookConfigKind, name: string | undefined, get: (name: string) => Promise<Webhooks>) => {
      if (!name) return;
      try {
        configs.push(view(kind, name, await get(name)));
      } catch (error) {
        if (statusOf(error) === 404) missing.push(`${kind} ${name}`);
        else throw apiError(`reading ${kind} ${name}`, error);
      }
    };
    await load("MutatingWebhookConfiguration", this.#names.mutating, (name) => this.#api.readMutatingWebhookConfiguration({ name }));
    await load("ValidatingWebhookConfiguration", this.#names.validating, (name) => this.#api.readValidatingWebhookConfiguration({ name }));
    return { configs, missing };
  }

  async patch(change: CaBundlePatch): Promise<void> {
    const request = { name: change.name, body: change.patch };
    try {
      if (change.kind === "MutatingWebhookConfiguration") await this.#api.patchMutatingWebhookConfiguration(request);
      else await this.#api.patchValidatingWebhookConfiguration(request);
    } catch (error) {
      throw apiError(`patching caBundle of ${change.kind} ${change.name}`, error);
    }
  }
}

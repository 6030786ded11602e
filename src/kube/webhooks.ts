// podgate's own webhook configurations, read and patched by name only: the
// RBAC role grants get/patch on exactly these resourceNames.
import { AdmissionregistrationV1Api, type KubeConfig, type V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import type { CaBundlePatch, WebhookConfigKind, WebhookConfigView } from "../certs/cabundle.ts";
import type { TrustTargets } from "../certs/reconcile.ts";
import { apiError, statusOf } from "./errors.ts";
import type { WebhookRule } from "./webhook-rules.ts";

/** One webhook of a configuration, as the rules reconcile reads it. */
export interface ServedWebhook {
  readonly index: number;
  readonly name: string;
  /** The path of its Service or URL: which podgate webhook it calls (/validate/policy). */
  readonly path: string | undefined;
  readonly rules: readonly WebhookRule[];
}

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

  /** The validating configuration's webhooks: where the apiserver sends each (its Service path) and its rules. */
  async validatingRules(): Promise<ServedWebhook[]> {
    const name = this.#names.validating;
    if (!name) return [];
    let object: V1ValidatingWebhookConfiguration;
    try {
      object = await this.#api.readValidatingWebhookConfiguration({ name });
    } catch (error) {
      throw apiError(`reading ValidatingWebhookConfiguration ${name}`, error);
    }
    return (object.webhooks ?? []).map((w, index) => ({
      index,
      name: w.name,
      path: w.clientConfig.service?.path ?? (w.clientConfig.url ? new URL(w.clientConfig.url).pathname : undefined),
      rules: (w.rules ?? []).map((r) => ({ apiGroups: r.apiGroups ?? [], apiVersions: r.apiVersions ?? [], operations: r.operations ?? [], resources: r.resources ?? [], scope: r.scope })),
    }));
  }

  /** Adds rules to webhooks of the validating configuration; fails, changing nothing, if it was reordered since it was read. */
  async addValidatingRules(additions: readonly { readonly webhook: ServedWebhook; readonly rules: readonly WebhookRule[] }[]): Promise<void> {
    const name = this.#names.validating;
    if (!name || additions.length === 0) return;
    const body = additions.flatMap(({ webhook, rules }) => [
      { op: "test", path: `/webhooks/${webhook.index}/name`, value: webhook.name },
      ...rules.map((rule) => ({ op: "add", path: `/webhooks/${webhook.index}/rules/-`, value: rule })),
    ]);
    try {
      await this.#api.patchValidatingWebhookConfiguration({ name, body });
    } catch (error) {
      throw apiError(`adding rules to ValidatingWebhookConfiguration ${name}`, error);
    }
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

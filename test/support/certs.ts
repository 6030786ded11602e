// In-memory stand-ins for the certificate store and the webhook configurations,
// with resourceVersions and an event log, for reconcile and rotation tests.
import type { CaBundlePatch, WebhookConfigView } from "../../src/certs/cabundle.ts";
import type { CertificatePolicy, StoredCertificates } from "../../src/certs/plan.ts";
import type { CertificateStore, TrustTargets } from "../../src/certs/reconcile.ts";
import { policyFor } from "../../src/certs/config.ts";

export const DAY = 24 * 60 * 60 * 1000;

/** Service podgate in namespace podgate; 1024-bit keys keep the tests fast. */
export const POLICY: CertificatePolicy = { ...policyFor({ service: "podgate", namespace: "podgate", extraHosts: [], caValidityDays: 3650, servingValidityDays: 365, renewBeforeDays: 30 }), keyBits: 1024 };

export class MemoryStore implements CertificateStore {
  readonly description = "memory store";
  data: StoredCertificates | undefined;
  version = 0;
  writes = 0;
  readonly events: string[];

  constructor(events: string[] = [], data?: StoredCertificates) {
    this.events = events;
    this.data = data;
  }

  read() {
    return Promise.resolve(this.data ? { data: { ...this.data }, version: String(this.version) } : undefined);
  }

  write(data: StoredCertificates, version: string | undefined) {
    if ((this.data ? String(this.version) : undefined) !== version) return Promise.reject(new Error("conflict"));
    this.data = { ...data };
    this.version++;
    this.writes++;
    this.events.push("write");
    return Promise.resolve();
  }
}

export class MemoryWebhooks implements TrustTargets {
  readonly configs: Array<{ kind: WebhookConfigView["kind"]; name: string; webhooks: Array<{ name: string; caBundle?: string }> }>;
  readonly events: string[];
  readonly patches: CaBundlePatch[] = [];

  constructor(events: string[] = []) {
    this.events = events;
    this.configs = [
      { kind: "MutatingWebhookConfiguration", name: "podgate", webhooks: [{ name: "sidecar.podgate.io" }, { name: "defaults.podgate.io" }] },
      { kind: "ValidatingWebhookConfiguration", name: "podgate", webhooks: [{ name: "policy.podgate.io" }] },
    ];
  }

  read() {
    return Promise.resolve({ configs: structuredClone(this.configs), missing: [] });
  }

  patch(change: CaBundlePatch) {
    const config = this.configs.find((c) => c.kind === change.kind && c.name === change.name)!;
    for (const op of change.patch) {
      const [, , index, field] = op.path.split("/");
      const webhook = config.webhooks[Number(index)]!;
      if (op.op === "test" && field === "name" && webhook.name !== op.value) return Promise.reject(new Error(`test failed at ${op.path}`));
      if (op.op === "add") webhook.caBundle = op.value;
    }
    this.patches.push(change);
    this.events.push(`patch ${change.kind}`);
    return Promise.resolve();
  }

  /** The PEM bundle a webhook carries. */
  bundleOf(name: string): string {
    const webhook = this.configs.flatMap((c) => c.webhooks).find((w) => w.name === name)!;
    return Buffer.from(webhook.caBundle ?? "", "base64").toString("utf8");
  }
}

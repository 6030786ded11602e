// caBundle in podgate's own webhook configurations, as pure functions over the
// fields that matter: does every webhook trust a CA, and which patches make
// them carry a bundle. Patches test each webhook's name first, so a
// configuration reordered since it was read fails the patch instead of
// handing one webhook another's bundle.
import { fingerprints, sameCertificates } from "./inspect.ts";

export type WebhookConfigKind = "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration";

export interface WebhookConfigView {
  readonly kind: WebhookConfigKind;
  readonly name: string;
  readonly webhooks: ReadonlyArray<{ readonly name: string; readonly caBundle?: string }>;
}

export type JsonPatchOperation = { readonly op: "test" | "add"; readonly path: string; readonly value: string };

export interface CaBundlePatch {
  readonly kind: WebhookConfigKind;
  readonly name: string;
  /** The webhooks whose bundle changes. */
  readonly webhooks: readonly string[];
  readonly patch: readonly JsonPatchOperation[];
}

function decode(caBundle: string | undefined): string {
  return caBundle ? Buffer.from(caBundle, "base64").toString("utf8") : "";
}

/** Whether every webhook in the configurations trusts the CA (true when there are no webhooks). */
export function trustsCa(configs: readonly WebhookConfigView[], caPem: string | undefined): boolean {
  const [wanted] = caPem ? fingerprints(caPem) : [];
  if (!wanted) return configs.every((c) => c.webhooks.length === 0);
  return configs.every((c) => c.webhooks.every((w) => fingerprints(decode(w.caBundle)).includes(wanted)));
}

/** The patches that make every webhook carry exactly the bundle's certificates; none when they already do. */
export function caBundlePatches(configs: readonly WebhookConfigView[], bundlePem: string): CaBundlePatch[] {
  const encoded = Buffer.from(bundlePem, "utf8").toString("base64");
  return configs.flatMap((config) => {
    const stale = config.webhooks.flatMap((w, index) => (sameCertificates(decode(w.caBundle), bundlePem) ? [] : [{ name: w.name, index }]));
    if (stale.length === 0) return [];
    const patch = stale.flatMap(({ name, index }): JsonPatchOperation[] => [
      { op: "test", path: `/webhooks/${index}/name`, value: name },
      { op: "add", path: `/webhooks/${index}/clientConfig/caBundle`, value: encoded },
    ]);
    return [{ kind: config.kind, name: config.name, webhooks: stale.map((s) => s.name), patch }];
  });
}

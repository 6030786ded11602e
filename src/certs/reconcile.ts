// One reconciliation: read the stored certificates and the webhook
// configurations, decide, write, patch; repeat until nothing changes, so a CA
// rotation's first two steps (trust the new CA, then serve from it) happen in
// one run. The stores are interfaces: a Secret, a directory, or a test double.
import type { X509Certificate } from "node:crypto";
import { caBundlePatches, trustsCa, type CaBundlePatch, type WebhookConfigView } from "./cabundle.ts";
import { issuedBy, parseCertificate, splitPem } from "./inspect.ts";
import { apply, decide, describeDecision, differs, forgeGenerators, type CertificatePolicy, type Generators, type StoredCertificates } from "./plan.ts";

export interface CertificateStore {
  /** For messages: "secret podgate/podgate-tls", "directory ./certs". */
  readonly description: string;
  /** The stored material and a version for optimistic concurrency; undefined when there is none. */
  read(): Promise<{ readonly data: StoredCertificates; readonly version?: string } | undefined>;
  /** Writes the material; fails if the version changed since it was read. */
  write(data: StoredCertificates, version: string | undefined): Promise<void>;
}

export interface TrustTargets {
  /** The webhook configurations that exist; names not found are reported through `missing`. */
  read(): Promise<{ readonly configs: readonly WebhookConfigView[]; readonly missing: readonly string[] }>;
  patch(change: CaBundlePatch): Promise<void>;
}

/** The serving certificates the replicas present now; undefined when they cannot be observed. */
export type ReplicaProbe = () => Promise<readonly X509Certificate[] | undefined>;

export interface ReconcileOptions {
  readonly store: CertificateStore;
  readonly targets?: TrustTargets;
  readonly probe?: ReplicaProbe;
  readonly policy: CertificatePolicy;
  readonly now?: () => Date;
  readonly dryRun?: boolean;
  readonly generate?: Generators;
}

export interface ReconcileResult {
  /** What changed (or, in a dry run, would change), one line each. */
  readonly changes: readonly string[];
  /** Things worth knowing that changed nothing: missing configurations, a rotation waiting for replicas. */
  readonly notes: readonly string[];
  /** The CA bundle clients should trust after the run. */
  readonly bundle: string;
}

// new CA + trust, then issue from it, then (with replicas confirmed) drop the old CA, then a final check.
const MAX_STEPS = 4;

/** Every replica presents a certificate issued by the CA; false when any does not, undefined when unknown or none seen. */
export function replicasOnCa(certs: readonly X509Certificate[] | undefined, caPem: string | undefined): boolean | undefined {
  const ca = caPem ? parseCertificate(caPem) : undefined;
  if (!certs || certs.length === 0 || !ca) return undefined;
  return certs.every((cert) => issuedBy(cert, ca));
}

export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const { store, targets, policy } = options;
  const now = options.now ?? (() => new Date());
  const changes: string[] = [];
  const notes = new Set<string>();
  let bundle = "";
  for (let step = 0; step < MAX_STEPS; step++) {
    const current = await store.read();
    const stored = current?.data ?? {};
    const trust = targets ? await targets.read() : { configs: [], missing: [] };
    for (const name of trust.missing) notes.add(`webhook configuration ${name} not found: nothing to patch there`);
    // Only worth the round trips while an old CA is still in the bundle.
    const probe = splitPem(stored.bundle ?? "").length > 1 ? options.probe : undefined;
    const observed = probe ? replicasOnCa(await probe(), stored.ca) : undefined;
    const decision = decide({ stored, now: now(), webhooksTrustCa: trustsCa(trust.configs, stored.ca), ...(observed !== undefined ? { replicasOnCa: observed } : {}) }, policy);
    if (probe && observed !== true && decision.retain.length > 0) notes.add("previous CA kept in the bundle until every replica serves a certificate from the current CA");
    const next = apply(stored, decision, policy, now(), options.generate ?? forgeGenerators);
    bundle = next.bundle ?? "";
    const lines: string[] = [];
    if (differs(stored, next)) {
      lines.push(...describeDecision(decision).filter((l) => !l.startsWith("serving certificate kept")));
      if (!current) lines.unshift(`${store.description}: created`);
      else lines.unshift(`${store.description}: updated`);
      if (!options.dryRun) await store.write(next, current?.version);
    }
    for (const change of caBundlePatches(trust.configs, bundle)) {
      lines.push(`${change.kind} ${change.name}: caBundle set on ${change.webhooks.join(", ")}`);
      if (!options.dryRun) await targets!.patch(change);
    }
    if (decision.serving.kind === "wait" && options.dryRun) notes.add(describeDecision(decision).find((l) => l.startsWith("serving certificate kept"))!);
    changes.push(...lines);
    // A dry run cannot see the effect of its own writes: one step is all it can honestly report.
    if (lines.length === 0 || options.dryRun) break;
  }
  return { changes, notes: [...notes], bundle };
}

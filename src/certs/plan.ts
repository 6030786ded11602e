// What to do with a stored CA + serving certificate, as pure decisions: keep
// what is still right, renew before expiry, and rotate a CA in steps that never
// leave a replica serving a certificate its clients do not trust:
//   1. new CA: the bundle carries new + old, replicas keep the old serving cert;
//   2. once every webhook configuration trusts the new CA: issue from it;
//   3. once every replica serves a certificate from it: drop the old CA.
import type { X509Certificate } from "node:crypto";
import type { TLS_FILES } from "../server/tls.ts";
import { createCa, createServingCert, type KeyPairPem } from "./generate.ts";
import { issuedBy, joinBundle, keyMatches, parseCertificate, splitPem, subjectAltNames } from "./inspect.ts";

/** The stored material, by the names of TLS_FILES (a Secret's keys, a directory's files). */
export type StoredCertificates = Partial<Record<keyof typeof TLS_FILES, string>>;

export interface CertificatePolicy {
  /** Names the serving certificate must cover; the first is its common name. */
  readonly hosts: readonly string[];
  readonly caValidityDays: number;
  readonly servingValidityDays: number;
  /** Renew the serving certificate this long before it expires. */
  readonly renewBeforeDays: number;
  readonly keyBits?: number;
}

export interface Observation {
  readonly stored: StoredCertificates;
  readonly now: Date;
  /** Every webhook configuration podgate patches already trusts the stored CA (true when there are none). */
  readonly webhooksTrustCa: boolean;
  /** Every replica serves a certificate issued by the stored CA; undefined when nobody looked. */
  readonly replicasOnCa?: boolean;
}

export type CaAction = { readonly kind: "keep" } | { readonly kind: "create"; readonly reason: string };
export type ServingAction =
  | { readonly kind: "keep" }
  | { readonly kind: "issue"; readonly reason: string }
  /** The certificate should come from a CA that clients do not trust yet; keep serving the old one. */
  | { readonly kind: "wait"; readonly reason: string };

export interface Decision {
  readonly ca: CaAction;
  readonly serving: ServingAction;
  /** Earlier CA certificates to keep in the bundle beside the current one. */
  readonly retain: readonly string[];
  readonly dropped: ReadonlyArray<{ readonly subject: string; readonly reason: string }>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function describeCa(stored: StoredCertificates, policy: CertificatePolicy, now: Date): { ca?: X509Certificate; action: CaAction } {
  if (!stored.ca) return { action: { kind: "create", reason: "no CA certificate" } };
  const ca = parseCertificate(stored.ca);
  if (!ca) return { action: { kind: "create", reason: "ca.crt is not a PEM certificate" } };
  if (!ca.ca) return { action: { kind: "create", reason: "ca.crt is not a CA certificate" } };
  if (!stored.caKey) return { action: { kind: "create", reason: "no CA key" } };
  if (!keyMatches(ca, stored.caKey)) return { action: { kind: "create", reason: "ca.key does not match ca.crt" } };
  const notAfter = new Date(ca.validTo);
  // A CA must outlive every serving certificate it issues, including one renewed late.
  const needed = (policy.servingValidityDays + policy.renewBeforeDays) * DAY_MS;
  if (notAfter.getTime() - now.getTime() < needed) {
    return { ca, action: { kind: "create", reason: `CA expires at ${notAfter.toISOString()}, sooner than a new serving certificate would` } };
  }
  return { ca, action: { kind: "keep" } };
}

/** Why the stored serving certificate cannot be served any longer, ignoring who issued it; undefined when it can. */
export function servingProblem(stored: StoredCertificates, policy: CertificatePolicy, now: Date): string | undefined {
  if (!stored.cert || !stored.key) return "no serving certificate";
  const cert = parseCertificate(stored.cert);
  if (!cert) return "tls.crt is not a PEM certificate";
  if (!keyMatches(cert, stored.key)) return "tls.key does not match tls.crt";
  const names = new Set(subjectAltNames(cert));
  const missing = policy.hosts.filter((h) => !names.has(h));
  if (missing.length > 0) return `serving certificate does not cover ${missing.join(", ")}`;
  const notAfter = new Date(cert.validTo);
  if (notAfter.getTime() <= now.getTime()) return `serving certificate expired at ${notAfter.toISOString()}`;
  if (notAfter.getTime() - now.getTime() <= policy.renewBeforeDays * DAY_MS) {
    return `serving certificate expires at ${notAfter.toISOString()}, within the ${policy.renewBeforeDays}-day renewal window`;
  }
  if (new Date(cert.validFrom).getTime() > now.getTime()) return `serving certificate is not valid before ${cert.validFrom}`;
  return undefined;
}

function describeServing(observation: Observation, policy: CertificatePolicy, ca: CaAction, caCert: X509Certificate | undefined): ServingAction {
  const problem = servingProblem(observation.stored, policy, observation.now);
  if (problem) return { kind: "issue", reason: problem };
  const serving = parseCertificate(observation.stored.cert!)!;
  if (ca.kind === "create") return { kind: "wait", reason: "the new CA is not trusted by the webhook configurations yet" };
  if (caCert && issuedBy(serving, caCert)) return { kind: "keep" };
  if (!observation.webhooksTrustCa) return { kind: "wait", reason: "the current CA is not trusted by every webhook configuration yet" };
  return { kind: "issue", reason: "serving certificate was not issued by the current CA" };
}

export function decide(observation: Observation, policy: CertificatePolicy): Decision {
  const { stored, now } = observation;
  const { ca: caCert, action: ca } = describeCa(stored, policy, now);
  const serving = describeServing(observation, policy, ca, caCert);
  // When the CA is replaced, the stored one becomes a previous CA like the others in the bundle.
  const previous = [...splitPem(stored.bundle ?? ""), ...(ca.kind === "create" ? splitPem(stored.ca ?? "") : [])];
  const retain: string[] = [];
  const dropped: Array<{ subject: string; reason: string }> = [];
  const seen = new Set<string>(caCert && ca.kind === "keep" ? [caCert.fingerprint256] : []);
  for (const pem of previous) {
    const cert = parseCertificate(pem);
    if (!cert) continue;
    if (seen.has(cert.fingerprint256)) continue;
    seen.add(cert.fingerprint256);
    if (new Date(cert.validTo).getTime() <= now.getTime()) dropped.push({ subject: cert.subject, reason: `expired at ${new Date(cert.validTo).toISOString()}` });
    else if (ca.kind === "keep" && serving.kind === "keep" && observation.replicasOnCa === true) {
      dropped.push({ subject: cert.subject, reason: "every replica serves a certificate from the current CA" });
    } else retain.push(pem);
  }
  return { ca, serving, retain, dropped };
}

export interface Generators {
  createCa(options: { commonName: string; days: number; now: Date; bits?: number }): KeyPairPem;
  createServingCert(options: { ca: KeyPairPem; hosts: readonly string[]; days: number; now: Date; bits?: number }): KeyPairPem;
}

export const forgeGenerators: Generators = { createCa, createServingCert };

/** Dated, so the old and new CA of a rotation can be told apart in the bundle and in logs. */
export function caCommonName(now: Date): string {
  return `podgate-ca-${now.toISOString().replace(/[-:]/g, "").slice(0, 15)}`;
}

/** The stored material after carrying out a decision. */
export function apply(stored: StoredCertificates, decision: Decision, policy: CertificatePolicy, now: Date, generate: Generators = forgeGenerators): StoredCertificates {
  const bits = policy.keyBits !== undefined ? { bits: policy.keyBits } : {};
  // forge writes CRLF; stored files use LF so a bundle is byte-for-byte the CA it holds.
  const lf = (pair: KeyPairPem): KeyPairPem => ({ cert: pair.cert.replace(/\r\n/g, "\n"), key: pair.key.replace(/\r\n/g, "\n") });
  const ca: KeyPairPem =
    decision.ca.kind === "create"
      ? lf(generate.createCa({ commonName: caCommonName(now), days: policy.caValidityDays, now, ...bits }))
      : { cert: stored.ca!, key: stored.caKey! };
  let serving = { cert: stored.cert, key: stored.key };
  if (decision.serving.kind === "issue") {
    const issued = lf(generate.createServingCert({ ca, hosts: policy.hosts, days: policy.servingValidityDays, now, ...bits }));
    // The chain ends with the issuing CA, as ensureLocalCertificates writes it.
    serving = { cert: issued.cert + splitPem(ca.cert).join(""), key: issued.key };
  }
  return {
    ...(serving.cert !== undefined ? { cert: serving.cert } : {}),
    ...(serving.key !== undefined ? { key: serving.key } : {}),
    ca: ca.cert,
    caKey: ca.key,
    bundle: joinBundle([ca.cert, ...decision.retain]),
  };
}

/** Whether two stored sets differ in any file. */
export function differs(a: StoredCertificates, b: StoredCertificates): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof StoredCertificates>);
  return [...keys].some((k) => a[k] !== b[k]);
}

/** One line per thing a decision changes, for logs and the CLI. */
export function describeDecision(decision: Decision): string[] {
  const lines: string[] = [];
  if (decision.ca.kind === "create") lines.push(`new CA: ${decision.ca.reason}`);
  if (decision.serving.kind === "issue") lines.push(`new serving certificate: ${decision.serving.reason}`);
  if (decision.serving.kind === "wait") lines.push(`serving certificate kept for now: ${decision.serving.reason}`);
  for (const d of decision.dropped) lines.push(`CA ${d.subject} dropped from the bundle: ${d.reason}`);
  return lines;
}

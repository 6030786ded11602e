// Reading certificates: PEM bundles split into certificates, parsed with
// Node's X509Certificate, compared by fingerprint rather than by text so a
// bundle with different line endings or order is still "the same".
import { X509Certificate, createPrivateKey } from "node:crypto";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificate blocks of a PEM text, in order, each ending with a newline. */
export function splitPem(text: string): string[] {
  return (text.match(PEM_CERTIFICATE) ?? []).map((block) => `${block.replace(/\r\n/g, "\n")}\n`);
}

/** Parses one PEM certificate; undefined when it is not one. */
export function parseCertificate(pem: string): X509Certificate | undefined {
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** The DNS names and IP addresses in a certificate's subjectAltName. */
export function subjectAltNames(cert: X509Certificate): string[] {
  if (!cert.subjectAltName) return [];
  return cert.subjectAltName.split(", ").flatMap((entry) => {
    const match = /^(DNS|IP Address):(.*)$/.exec(entry);
    return match ? [match[2]!] : [];
  });
}

/** Whether the PEM private key belongs to the certificate. */
export function keyMatches(cert: X509Certificate, keyPem: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

/** Whether `cert` was issued and signed by `issuer`. */
export function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/** Deduplicated CA bundle text: first occurrence wins, order kept. */
export function joinBundle(pems: readonly string[]): string {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of pems.flatMap(splitPem)) {
    const fingerprint = parseCertificate(pem)?.fingerprint256;
    if (!fingerprint || seen.has(fingerprint)) continue;
    seen.add(fingerprint);
    out.push(pem);
  }
  return out.join("");
}

/** The SHA-256 fingerprints of the certificates in a PEM text (unparseable blocks skipped). */
export function fingerprints(text: string): string[] {
  return splitPem(text).flatMap((pem) => {
    const fingerprint = parseCertificate(pem)?.fingerprint256;
    return fingerprint ? [fingerprint] : [];
  });
}

/** Whether two bundles hold the same certificates, whatever their order or formatting. */
export function sameCertificates(a: string, b: string): boolean {
  const left = new Set(fingerprints(a));
  const right = new Set(fingerprints(b));
  return left.size === right.size && [...left].every((f) => right.has(f));
}

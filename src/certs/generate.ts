// CA and serving certificates with node-forge. Keys come from Node's native
// RSA generator (fast); forge only assembles and signs the X.509 structures.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

export interface KeyPairPem {
  readonly cert: string;
  readonly key: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function rsaKeyPair(bits: number): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), pem: privateKey };
}

/** A random positive serial (RFC 5280: at most 20 octets, positive). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  // Top bit clear (positive) and a non-zero first byte: forge drops a leading 00,
  // which would leave the next byte's top bit as the sign (a negative serial).
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}

function validity(cert: forge.pki.Certificate, days: number, now: Date): void {
  // Backdate a little so a clock a few minutes behind still accepts the certificate.
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60 * 1000);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

export interface CaOptions {
  readonly commonName?: string;
  readonly days?: number;
  readonly now?: Date;
  readonly bits?: number;
}

export function createCa(options: CaOptions = {}): KeyPairPem {
  const keys = rsaKeyPair(options.bits ?? 2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  validity(cert, options.days ?? 3650, options.now ?? new Date());
  const subject = [{ name: "commonName", value: options.commonName ?? "podgate-ca" }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

export interface ServingOptions {
  readonly ca: KeyPairPem;
  /** DNS names and IP addresses; the first is also the common name. */
  readonly hosts: readonly string[];
  readonly days?: number;
  readonly now?: Date;
  readonly bits?: number;
  /** Adds clientAuth to the extended key usage, for client certificates. */
  readonly client?: boolean;
  readonly organization?: string;
}

export function createServingCert(options: ServingOptions): KeyPairPem {
  if (options.hosts.length === 0) throw new Error("a serving certificate needs at least one host");
  const caCert = forge.pki.certificateFromPem(options.ca.cert);
  const caKey = forge.pki.privateKeyFromPem(options.ca.key);
  const keys = rsaKeyPair(options.bits ?? 2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerial();
  validity(cert, options.days ?? 365, options.now ?? new Date());
  const subject: forge.pki.CertificateField[] = [{ name: "commonName", value: options.hosts[0]! }];
  if (options.organization) subject.push({ name: "organizationName", value: options.organization });
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: !options.client, clientAuth: options.client === true },
    { name: "subjectAltName", altNames: options.hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

export { serviceHosts } from "./hosts.ts";

// Serving certificates on disk: generate a local CA + certificate when the
// directory has none, load them, and notice when they are rotated.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, watch, type FSWatcher } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  /** Expiry of the serving certificate, for metrics and readiness. */
  readonly notAfter: Date;
}

/** ca.crt is the CA that issues; ca-bundle.crt what clients should trust (that CA, plus its predecessor during a rotation). */
export const TLS_FILES = { cert: "tls.crt", key: "tls.key", ca: "ca.crt", caKey: "ca.key", bundle: "ca-bundle.crt" } as const;
export const LOCAL_HOSTS = ["localhost", "127.0.0.1", "::1"];

/** Writes a fresh CA and serving certificate if the directory holds no certificate. Returns whether it did. */
export async function ensureLocalCertificates(dir: string, hosts: readonly string[] = LOCAL_HOSTS): Promise<boolean> {
  if (existsSync(join(dir, TLS_FILES.cert)) || existsSync(join(dir, TLS_FILES.key))) return false;
  await mkdir(dir, { recursive: true });
  // Imported here: node-forge (~10 MB of RSS) is needed only to make certificates, not to serve them.
  const { createCa, createServingCert } = await import("../certs/generate.ts");
  const ca = createCa({ commonName: "podgate-local-ca" });
  const serving = createServingCert({ ca, hosts });
  await writeFile(join(dir, TLS_FILES.caKey), ca.key, { mode: 0o600 });
  await writeFile(join(dir, TLS_FILES.ca), ca.cert);
  await writeFile(join(dir, TLS_FILES.key), serving.key, { mode: 0o600 });
  // The certificate last: a watcher that sees it knows the key is already there.
  await writeFile(join(dir, TLS_FILES.cert), serving.cert + ca.cert);
  return true;
}

/** Reads and checks tls.crt/tls.key; throws with the file named when they are unusable (`hint` says why missing files matter). */
export async function loadTls(dir: string, hint?: string): Promise<TlsMaterial> {
  const certPath = join(dir, TLS_FILES.cert);
  const keyPath = join(dir, TLS_FILES.key);
  const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]).catch((error: NodeJS.ErrnoException) => {
    throw error.code === "ENOENT" && hint ? new Error(`${error.path ?? dir}: no such file (${hint})`, { cause: error }) : error;
  });
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`${certPath}: not a PEM certificate (${(error as Error).message})`, { cause: error });
  }
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error(`${keyPath}: does not match the certificate in ${certPath}`);
  return { cert, key, notAfter: new Date(x509.validTo) };
}

/**
 * Calls back when the directory's files change (Kubernetes Secret volumes swap
 * a symlink, which fs.watch reports on the directory), debounced; polls as a
 * fallback because some filesystems never report changes.
 */
export function watchTlsDir(dir: string, onChange: () => void, pollMs = 10_000): { close(): void } {
  let debounce: NodeJS.Timeout | undefined;
  const fire = () => {
    clearTimeout(debounce);
    debounce = setTimeout(onChange, 200);
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, fire);
    watcher.on("error", () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  const poll = setInterval(onChange, pollMs);
  poll.unref();
  return {
    close() {
      clearTimeout(debounce);
      clearInterval(poll);
      watcher?.close();
    },
  };
}

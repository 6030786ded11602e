// The certificates as a Secret: read with its resourceVersion, write back
// with it (a concurrent writer makes the write fail instead of being lost).
import { CoreV1Api, type KubeConfig, type V1Secret } from "@kubernetes/client-node";
import type { CertificateStore } from "../certs/reconcile.ts";
import type { StoredCertificates } from "../certs/plan.ts";
import { TLS_FILES } from "../server/tls.ts";
import { apiError, statusOf } from "./errors.ts";

const FIELDS = Object.entries(TLS_FILES) as Array<[keyof typeof TLS_FILES, string]>;

/** Secret data (base64 values) -> stored certificates; keys podgate does not use are ignored. */
export function fromSecretData(data: Readonly<Record<string, string>> | undefined): StoredCertificates {
  const stored: StoredCertificates = {};
  for (const [field, key] of FIELDS) {
    const value = data?.[key];
    if (value !== undefined) stored[field] = Buffer.from(value, "base64").toString("utf8");
  }
  return stored;
}

export function toSecretData(stored: StoredCertificates): Record<string, string> {
  return Object.fromEntries(FIELDS.flatMap(([field, key]) => (stored[field] !== undefined ? [[key, Buffer.from(stored[field], "utf8").toString("base64")]] : [])));
}

export class SecretStore implements CertificateStore {
  readonly description: string;
  readonly #api: CoreV1Api;
  readonly #name: string;
  readonly #namespace: string;
  #existing: V1Secret | undefined;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string) {
    this.#api = kubeConfig.makeApiClient(CoreV1Api);
    this.#namespace = namespace;
    this.#name = name;
    this.description = `secret ${namespace}/${name}`;
  }

  async read() {
    try {
      this.#existing = await this.#api.readNamespacedSecret({ name: this.#name, namespace: this.#namespace });
    } catch (error) {
      if (statusOf(error) === 404) return (this.#existing = undefined);
      throw apiError(`reading ${this.description}`, error);
    }
    const version = this.#existing.metadata?.resourceVersion;
    return { data: fromSecretData(this.#existing.data), ...(version ? { version } : {}) };
  }

  async write(stored: StoredCertificates, version: string | undefined): Promise<void> {
    const labels = { "app.kubernetes.io/name": "podgate", "app.kubernetes.io/component": "certificates" };
    try {
      if (version === undefined) {
        await this.#api.createNamespacedSecret({
          namespace: this.#namespace,
          body: { apiVersion: "v1", kind: "Secret", metadata: { name: this.#name, namespace: this.#namespace, labels }, type: "kubernetes.io/tls", data: toSecretData(stored) },
        });
        return;
      }
      // Keys other tools put in the Secret stay; the type is immutable and stays too.
      const body: V1Secret = { ...this.#existing, metadata: { ...this.#existing?.metadata, resourceVersion: version }, data: { ...this.#existing?.data, ...toSecretData(stored) } };
      await this.#api.replaceNamespacedSecret({ name: this.#name, namespace: this.#namespace, body });
    } catch (error) {
      throw apiError(`${version === undefined ? "creating" : "updating"} ${this.description}${statusOf(error) === 409 ? " (changed by someone else meanwhile; run again)" : ""}`, error);
    }
  }
}

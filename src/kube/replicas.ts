// Which certificate each replica serves right now: list podgate's pods and
// open a TLS connection to each (the handshake is all that is needed). Used
// to decide when a rotated-out CA can leave the bundle.
import { X509Certificate } from "node:crypto";
import { connect } from "node:tls";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { ReplicaProbe } from "../certs/reconcile.ts";
import { apiError } from "./errors.ts";

/** The certificate a TLS server presents; verification is not the point here, observation is. */
export function peerCertificate(host: string, port: number, servername: string, timeoutMs = 3000): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, servername, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      if (raw) resolve(new X509Certificate(raw));
      else reject(new Error(`${host}:${port} presented no certificate`));
    });
    socket.once("timeout", () => socket.destroy(new Error(`${host}:${port}: TLS handshake timed out after ${timeoutMs} ms`)));
    socket.once("error", reject);
  });
}

export interface ReplicaProbeOptions {
  readonly namespace: string;
  readonly labelSelector: string;
  readonly port: number;
  /** Sent as SNI, as the apiserver does (the Service's DNS name). */
  readonly servername: string;
}

/** Probes every running replica; undefined when any cannot be reached (a replica we cannot see might still serve the old certificate). */
export function kubeReplicaProbe(kubeConfig: KubeConfig, options: ReplicaProbeOptions): ReplicaProbe {
  const api = kubeConfig.makeApiClient(CoreV1Api);
  return async () => {
    let pods;
    try {
      pods = await api.listNamespacedPod({ namespace: options.namespace, labelSelector: options.labelSelector });
    } catch (error) {
      throw apiError(`listing pods ${options.labelSelector} in ${options.namespace}`, error);
    }
    const ips = pods.items.filter((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp && p.status.podIP).map((p) => p.status!.podIP!);
    const results = await Promise.allSettled(ips.map((ip) => peerCertificate(ip, options.port, options.servername)));
    if (results.some((r) => r.status === "rejected")) return undefined;
    return results.map((r) => (r as PromiseFulfilledResult<X509Certificate>).value);
  };
}

// JSON requests to the Kubernetes API on node:http(s) with one keep-alive
// agent, for calls on a hot path (the extender's bind: one POST per scheduled
// pod). client-node's generated clients build an undici Agent and re-read the
// kubeconfig's files on every call, and serialize through its model tables:
// in the flow bench a bind cost podgate ~0.45–0.78 ms of CPU that way, ~0.27–0.40
// ms this way, the apiserver saw a bounded number of connections, and the whole
// flow bound 114.5 → 161.6 pods/s (docs/benchmarks.md): an end-to-end figure, so
// this twin of client-node's request stays.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { KubeApiError } from "./errors.ts";

export interface KubeRequestOptions {
  /** Connections kept to the apiserver; more requests wait for one (client-go multiplexes on one HTTP/2 connection). */
  readonly maxSockets?: number;
  /** A request not answered in this time fails. */
  readonly timeoutMs?: number;
  /** How long authentication headers are reused before the kubeconfig is asked again (a 401 asks at once). */
  readonly authTtlMs?: number;
}

export type KubeRequest = (method: "GET" | "POST", path: string, body?: unknown) => Promise<unknown>;

interface Authentication {
  readonly headers: Record<string, string>;
  readonly at: number;
}

/**
 * Requests to the kubeconfig's current cluster. TLS material (CA, client
 * certificate) is read once, so a rotated client certificate needs a restart;
 * headers (tokens, exec plugins, token files) are refreshed every `authTtlMs`
 * and after a 401, which is retried once.
 */
export function kubeRequest(kubeConfig: KubeConfig, options: KubeRequestOptions = {}): KubeRequest {
  const { maxSockets = 16, timeoutMs = 30_000, authTtlMs = 10_000 } = options;
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("no Kubernetes cluster in the kubeconfig");
  const server = new URL(cluster.server);
  const secure = server.protocol === "https:";
  let agent: HttpAgent | undefined;
  let auth: Promise<Authentication> | undefined;

  const authenticate = async (): Promise<Authentication> => {
    const opts: RequestOptions & { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string; headers?: Record<string, string> } = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    // A proxy: client-node's own (cached) proxy agent. Otherwise one keep-alive agent with the kubeconfig's TLS material.
    agent ??= cluster.proxyUrl
      ? (opts.agent as HttpAgent)
      : secure
        ? new HttpsAgent({ keepAlive: true, maxSockets, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername })
        : new HttpAgent({ keepAlive: true, maxSockets });
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.auth) headers["authorization"] = `Basic ${Buffer.from(opts.auth).toString("base64")}`;
    return { headers, at: Date.now() };
  };
  const currentAuth = async (fresh: boolean): Promise<Authentication> => {
    const cached = auth && !fresh ? await auth.catch(() => undefined) : undefined;
    if (cached && Date.now() - cached.at < authTtlMs) return cached;
    auth = authenticate();
    return auth;
  };

  const send = (method: string, path: string, text: string | undefined, headers: Record<string, string>) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(
        {
          agent,
          protocol: server.protocol,
          hostname: server.hostname,
          port: server.port,
          method,
          path: `${server.pathname.replace(/\/$/, "")}${path}`,
          timeout: timeoutMs,
          headers: { accept: "application/json", ...headers, ...(text === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) }) },
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer from the apiserver in ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(text);
    });

  return async (method, path, body) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    let answer = await send(method, path, text, (await currentAuth(false)).headers);
    if (answer.status === 401) answer = await send(method, path, text, (await currentAuth(true)).headers);
    if (answer.status < 200 || answer.status >= 300) throw new KubeApiError(method, path, answer.status, answer.text);
    return answer.text ? (JSON.parse(answer.text) as unknown) : undefined;
  };
}

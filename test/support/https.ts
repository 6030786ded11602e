// A tiny HTTPS client for tests and the bench: trusts a given CA, optional
// client certificate; keep-alive off unless an agent is given, so every call
// is a fresh handshake (reload tests rely on it).
import { request as httpsRequest, type Agent } from "node:https";

export interface CallOptions {
  readonly ca: string;
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly cert?: string;
  readonly key?: string;
  /** Reuse connections through this agent (its own TLS options are ignored: these win). */
  readonly agent?: Agent;
}

export interface CallResult {
  readonly status: number;
  readonly text: string;
  readonly json: any;
  readonly peerCertificate: { fingerprint256: string; valid_to: string };
}

export function call(url: string, options: CallOptions): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        ca: options.ca,
        agent: options.agent ?? false,
        headers: { ...(options.body === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json, peerCertificate: peer });
        });
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

export function post(url: string, ca: string, body: unknown, extra: Partial<CallOptions> = {}): Promise<CallResult> {
  return call(url, { ca, body: typeof body === "string" ? body : JSON.stringify(body), ...extra });
}

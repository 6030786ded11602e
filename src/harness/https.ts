// The one small HTTPS client of the harness, the tests and the bench: trusts a
// given CA, optional client certificate; keep-alive off unless an agent is
// given, so every call is a fresh handshake (reload tests rely on it).
import { request as httpsRequest, type Agent } from "node:https";
import type { TLSSocket } from "node:tls";

export interface CallOptions {
  /** The CA the server's certificate must chain to (PEM). */
  readonly ca?: string | Buffer;
  /** Accept any server certificate: a component's own self-signed one, that no CA vouches for. */
  readonly insecure?: boolean;
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** Reuse connections through this agent. */
  readonly agent?: Agent;
  /** Give up when the connection is idle this long, rejecting with an error that names the URL. */
  readonly timeoutMs?: number;
}

export interface CallResult {
  readonly status: number;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests read replies of every shape
  readonly json: any;
  readonly peerCertificate: { fingerprint256: string; valid_to: string };
}

export function call(url: string, options: CallOptions): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? (options.body === undefined ? "GET" : "POST"),
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        ...(options.insecure ? { rejectUnauthorized: false } : {}),
        ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
        agent: options.agent ?? false,
        headers: { ...(options.body === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        const peer = (res.socket as TLSSocket).getPeerCertificate();
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
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
    req.on("timeout", () => req.destroy(new Error(`${options.method ?? "request"} ${url} timed out after ${options.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

export function post(url: string, ca: string, body: unknown, extra: Partial<CallOptions> = {}): Promise<CallResult> {
  return call(url, { ca, body: typeof body === "string" ? body : JSON.stringify(body), ...extra });
}

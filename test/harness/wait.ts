// Readiness polling and small network helpers for the harness.
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `check` until it returns a value other than undefined/false; calls
 * `alive` between tries so a component that died fails fast with its log,
 * not after the timeout.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined | false>, alive: () => void = () => {}, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    alive();
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
    await sleep(intervalMs);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface TlsClient {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

/** GET over HTTPS; resolves with status and body (files in `tls` are paths). */
export function httpsGet(url: string, tls: TlsClient = {}): Promise<{ status: number; body: string }> {
  const read = (p?: string) => (p ? readFileSync(p) : undefined);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", ca: read(tls.ca), cert: read(tls.cert), key: read(tls.key), rejectUnauthorized: tls.ca !== undefined, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

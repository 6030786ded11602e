// Readiness polling and small network helpers for the harness.
import { readFileSync } from "node:fs";
import { call } from "./https.ts";
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

/** GET over HTTPS; resolves with status and body (files in `tls` are paths; without a CA, any server certificate). */
export async function httpsGet(url: string, tls: TlsClient = {}): Promise<{ status: number; body: string }> {
  const read = (p: string) => readFileSync(p);
  const { status, text } = await call(url, {
    ...(tls.ca ? { ca: read(tls.ca) } : { insecure: true }),
    ...(tls.cert && tls.key ? { cert: read(tls.cert), key: read(tls.key) } : {}),
    timeoutMs: 5000,
  });
  return { status, body: text };
}

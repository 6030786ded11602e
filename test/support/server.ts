// Starts a real podgate server on loopback with a temporary TLS directory.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AdmissionHandler } from "../../src/admission/handler.ts";
import { buildConfig, type LoadedConfig } from "../../src/config/load.ts";
import { startServer, type Extension, type RunningServer } from "../../src/server/serve.ts";

export interface TestServer {
  readonly running: RunningServer;
  readonly url: string;
  readonly ca: string;
  readonly tlsDir: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly server?: Record<string, unknown>;
  readonly mutating?: AdmissionHandler[];
  readonly validating?: AdmissionHandler[];
  readonly extensions?: Extension[];
  readonly tlsDir?: string;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const tlsDir = options.tlsDir ?? (await mkdtemp(join(tmpdir(), "podgate-tls-")));
  const base = buildConfig(
    { server: { port: 0, tlsDir, logLevel: "silent", metrics: { port: 0 }, ...options.server } },
    { webhookTypes: [], sections: {} },
  );
  const config: LoadedConfig = { ...base, mutating: options.mutating ?? [], validating: options.validating ?? [] };
  const running = await startServer(config, options.extensions ?? []);
  const ca = await readFile(join(tlsDir, "ca.crt"), "utf8");
  return {
    running,
    url: running.url,
    ca,
    tlsDir,
    async close() {
      await running.close();
      if (!options.tlsDir) await rm(tlsDir, { recursive: true, force: true });
    },
  };
}

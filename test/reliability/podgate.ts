// podgate as a child process, the way it runs in a pod: `podgate serve` with
// a config file, JSON logs on stdout (kept for the secrets check), RSS read
// from /proc, signals delivered for real.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { call } from "../../src/harness/https.ts";
import { SERVE_NODE_FLAGS } from "../../src/server/node-flags.ts";
import { buildPodgate, PODGATE_BIN } from "../support/build.ts";


export interface Podgate {
  readonly child: ChildProcess;
  readonly url: string;
  readonly metricsUrl: string | undefined;
  readonly tlsDir: string;
  readonly ca: string;
  /** Every log line so far. */
  readonly logs: string[];
  /** Resolves to the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  rssMiB(): number;
  /** HTTP status of GET /readyz, and its body. */
  readyz(): Promise<{ status: number; text: string }>;
  stop(): Promise<number | null>;
}

export interface PodgateOptions {
  readonly dir: string;
  /** YAML config; server.port should be 0. */
  readonly config: string;
  readonly args?: readonly string[];
  /** Keep log lines after startup (default); a soak drops them so the harness does not grow. */
  readonly keepLogs?: boolean;
}

export async function startPodgate(options: PodgateOptions): Promise<Podgate> {
  await mkdir(options.dir, { recursive: true });
  const configPath = join(options.dir, "podgate.yaml");
  await writeFile(configPath, options.config);
  buildPodgate();
  const child = spawn(process.execPath, [...SERVE_NODE_FLAGS, PODGATE_BIN, "serve", "--config", configPath, ...(options.args ?? [])], { stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let partial = "";
  let started = false;
  const serving = new Promise<{ url: string; metrics?: string }>((resolve, reject) => {
    const onLine = (line: string) => {
      if (started && options.keepLogs === false) return;
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string; metrics?: string };
        // Logged at info: a config at warn or above would never be seen starting.
        if (entry.msg === "podgate serving" && entry.url) resolve({ url: entry.url, ...(entry.metrics ? { metrics: entry.metrics } : {}) });
      } catch {
        // Not JSON: kept in logs all the same.
      }
    };
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      lines.forEach(onLine);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => logs.push(...chunk.split("\n").filter(Boolean)));
    void exited.then((code) => reject(new Error(`podgate exited (${code}) before serving:\n${logs.slice(-10).join("\n")}`)));
  });
  const { url, metrics } = await serving;
  started = true;
  const tlsDir = (/tlsDir: (\S+)/.exec(options.config)?.[1] ?? ".podgate/tls").trim();
  const ca = await readFile(join(tlsDir, "ca.crt"), "utf8");
  return {
    child,
    url,
    metricsUrl: metrics,
    tlsDir,
    ca,
    logs,
    exited,
    rssMiB: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    },
    readyz: async () => {
      const { status, text } = await call(new URL("/readyz", url).href, { ca, timeoutMs: 2000 });
      return { status, text };
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}

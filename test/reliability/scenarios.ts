// Faults under load against a podgate child process: each scenario starts
// its own podgate, drives bounded load at it, injects one fault and reports
// requests sent and failed, RSS at start and end, and what it checked.
import { readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { connect as netConnect, type Socket } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { parse, stringify } from "yaml";
import { createServingCert } from "../../src/certs/generate.ts";
import { DEFAULT_CONFIG_PATH } from "../../src/config/default.ts";
import { LOCAL_HOSTS, TLS_FILES } from "../../src/server/tls.ts";
import { percentile, runLoad, type Call, type LoadResult } from "./load.ts";
import { startPodgate, type Podgate } from "./podgate.ts";

export interface ScenarioResult {
  readonly name: string;
  readonly sent: number;
  readonly failed: number;
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
  /** What was measured besides the counts. */
  readonly notes: string;
  /** Every check the scenario makes held. */
  readonly passed: boolean;
  readonly problems: readonly string[];
}

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), "utf8");

/** What the apiserver and the scheduler send most: a pod CREATE to both chains, and a full-NodeList filter. */
export const CALLS: readonly Call[] = [
  { path: "/mutate", body: fixture("admission/create-pod.json") },
  { path: "/validate", body: fixture("admission/create-pod.json") },
  { path: "/extender/filter", body: fixture("extender/filter-nodelist.json") },
];

/** The embedded default config with a server section for a test run. */
export function podgateConfig(dir: string, server: Record<string, unknown> = {}, extender: Record<string, unknown> = {}): string {
  const config = parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")) as Record<string, Record<string, unknown>>;
  config["server"] = { ...config["server"], port: 0, tlsDir: join(dir, "tls"), logLevel: "info", metrics: { host: "127.0.0.1", port: 0 }, ...server };
  config["extender"] = { ...config["extender"], ...extender };
  return stringify(config);
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function latencies(result: LoadResult, from = 0, to = 1): number[] {
  const first = Math.floor(result.samples.length * from);
  return result.samples.slice(first, Math.ceil(result.samples.length * to)).map(([, ms]) => ms);
}

function summary(name: string, result: LoadResult, rssMiB: [number, number], notes: string, problems: string[]): ScenarioResult {
  if (result.failed > 0) problems.push(`${result.failed} requests failed: ${JSON.stringify(result.errors)}`);
  return { name, sent: result.sent, failed: result.failed, rssStartMiB: round(rssMiB[0]), rssEndMiB: round(rssMiB[1]), notes, passed: problems.length === 0, problems };
}

async function withPodgate<T>(dir: string, config: string, options: { keepLogs?: boolean }, run: (podgate: Podgate) => Promise<T>): Promise<T> {
  const podgate = await startPodgate({ dir, config, ...options });
  try {
    return await run(podgate);
  } finally {
    await podgate.stop();
  }
}

/** Saturating load for a few seconds: the requests per second one podgate process sustains. */
export async function maxLoad(dir: string, seconds: number): Promise<ScenarioResult & { rps: number }> {
  return withPodgate(dir, podgateConfig(dir), {}, async (podgate) => {
    await runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 16, durationMs: 1000, calls: CALLS });
    const rss = podgate.rssMiB();
    const result = await runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 32, durationMs: seconds * 1000, calls: CALLS });
    const rps = result.ok / (result.durationMs / 1000);
    const all = latencies(result);
    const notes = `${Math.round(rps)} req/s at 32 in flight; p50 ${round(percentile(all, 50))} ms, p99 ${round(percentile(all, 99))} ms`;
    return { ...summary("max load", result, [rss, podgate.rssMiB()], notes, []), rps };
  });
}

/** SIGTERM mid-load: /readyz turns 503 first, clients that see it stop, in-flight requests finish, exit 0. */
export async function sigterm(dir: string): Promise<ScenarioResult> {
  const podgate = await startPodgate({ dir, config: podgateConfig(dir, { shutdownDelaySeconds: 2 }) });
  const rss = podgate.rssMiB();
  const problems: string[] = [];
  let notReadyAt: number | undefined;
  let polling = true;
  const started = performance.now();
  const poller = (async () => {
    while (polling && notReadyAt === undefined) {
      const { status } = await podgate.readyz().catch(() => ({ status: 0 }));
      if (status === 503) notReadyAt = performance.now() - started;
      else if (status !== 200) problems.push(`/readyz answered ${status} before turning 503`);
      await sleep(100);
    }
  })();
  const load = runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 16, durationMs: 30_000, calls: CALLS, stopSending: () => notReadyAt !== undefined });
  await sleep(2000);
  const signalAt = performance.now() - started;
  const rssEnd = podgate.rssMiB();
  podgate.child.kill("SIGTERM");
  const result = await load;
  polling = false;
  await poller;
  const code = await podgate.exited;
  const exitAt = performance.now() - started;
  if (notReadyAt === undefined) problems.push("readiness never turned false");
  if (code !== 0) problems.push(`exit code ${code}`);
  const afterSignal = result.samples.filter(([at]) => at >= signalAt).length;
  const notes = `SIGTERM at ${round(signalAt / 1000)} s; ${afterSignal} requests answered after it; /readyz 503 after ${notReadyAt === undefined ? "-" : Math.round(notReadyAt - signalAt)} ms; exit ${code} after ${Math.round(exitAt - signalAt)} ms`;
  return summary("SIGTERM during load", result, [rss, rssEnd], notes, problems);
}

/** The serving certificate rotated on disk several times during load, keep-alive and fresh connections alike. */
export async function rotation(dir: string, rotations = 5): Promise<ScenarioResult> {
  return withPodgate(dir, podgateConfig(dir), {}, async (podgate) => {
    const rss = podgate.rssMiB();
    const ca = { cert: await readFile(join(podgate.tlsDir, TLS_FILES.ca), "utf8"), key: await readFile(join(podgate.tlsDir, TLS_FILES.caKey), "utf8") };
    const durationMs = (rotations + 2) * 1500;
    const kept = runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 8, durationMs, calls: CALLS });
    const fresh = runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 4, durationMs, calls: CALLS, fresh: true });
    for (let i = 0; i < rotations; i++) {
      await sleep(1500);
      const serving = createServingCert({ ca, hosts: LOCAL_HOSTS });
      // As a Secret volume update would: the new files appear whole, key first.
      const key = join(podgate.tlsDir, TLS_FILES.key);
      const cert = join(podgate.tlsDir, TLS_FILES.cert);
      await writeFile(`${key}.new`, serving.key, { mode: 0o600 });
      await writeFile(`${cert}.new`, serving.cert + ca.cert);
      await rename(`${key}.new`, key);
      await rename(`${cert}.new`, cert);
    }
    const [a, b] = await Promise.all([kept, fresh]);
    const merged: LoadResult = { ...a, sent: a.sent + b.sent, ok: a.ok + b.ok, failed: a.failed + b.failed, errors: { ...a.errors, ...b.errors }, samples: [...a.samples, ...b.samples] };
    const problems: string[] = [];
    if (b.certificates.size < rotations) problems.push(`fresh handshakes saw ${b.certificates.size} certificates for ${rotations} rotations`);
    const notes = `${rotations} rotations; fresh handshakes ${b.sent} saw ${b.certificates.size} distinct certificates`;
    return summary("certificate rotation", merged, [rss, podgate.rssMiB()], notes, problems);
  });
}

/** Hundreds of slow and idle sockets while normal clients are served. */
export async function slowloris(dir: string, sockets = 300): Promise<ScenarioResult> {
  const config = podgateConfig(dir, { headersTimeoutSeconds: 2, requestTimeoutSeconds: 5, keepAliveTimeoutSeconds: 5 });
  return withPodgate(dir, config, {}, async (podgate) => {
    const rss = podgate.rssMiB();
    const { port } = new URL(podgate.url);
    const baseline = await runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 8, durationMs: 3000, calls: CALLS });
    const lifetimes: number[] = [];
    const timers: NodeJS.Timeout[] = [];
    const opened = performance.now();
    const track = (socket: Socket) => {
      socket.on("error", () => {});
      // Read, or a paused socket never notices the server's close (no 'end', so no 'close').
      socket.resume();
      socket.on("close", () => lifetimes.push(performance.now() - opened));
    };
    for (let i = 0; i < sockets; i++) {
      if (i % 3 === 0) track(netConnect(Number(port), "127.0.0.1"));
      else {
        const socket = tlsConnect({ port: Number(port), host: "127.0.0.1", ca: podgate.ca, servername: "localhost" });
        track(socket);
        if (i % 3 === 1) {
          const header = "POST /mutate HTTP/1.1\r\nHost: podgate\r\nContent-Type: application/json\r\n";
          let at = 0;
          socket.once("secureConnect", () => timers.push(setInterval(() => at < header.length && !socket.destroyed && socket.write(header[at++]!), 250)));
        }
      }
    }
    const result = await runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 8, durationMs: 8000, calls: CALLS });
    timers.forEach(clearInterval);
    const problems: string[] = [];
    if (lifetimes.length < sockets) problems.push(`${sockets - lifetimes.length} of ${sockets} slow sockets still open after 8 s`);
    const before = percentile(latencies(baseline), 99);
    const during = percentile(latencies(result), 99);
    const notes = `${sockets} slow sockets (no handshake / 1 header byte per 250 ms / idle TLS): ${lifetimes.length} closed by the server, longest ${round(Math.max(...lifetimes) / 1000)} s; others' p99 ${round(before)} -> ${round(during)} ms`;
    return summary("slow clients", result, [rss, podgate.rssMiB()], notes, problems);
  });
}

/**
 * A policy file edited during load, as a ConfigMap update lands: every valid edit is served from the next
 * request on, a broken one keeps the previous policies serving (its error in the log and /readyz), and no
 * request fails throughout.
 */
export async function reload(dir: string, edits = 8): Promise<ScenarioResult> {
  const file = join(dir, "policies.yaml");
  const policy = (i: number, broken = false) => `apiVersion: podgate.dev/v1alpha1
kind: Policy
metadata: {name: edited}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  ${broken ? "validatons" : "validations"}: [{expression: "object.metadata.name != 'forbidden-${i}'", message: "edit ${i}"}]
`;
  const replace = async (text: string) => {
    await writeFile(`${file}.new`, text);
    await rename(`${file}.new`, file);
  };
  await mkdir(dir, { recursive: true });
  await replace(policy(0));
  const config = parse(podgateConfig(dir, { reload: { intervalSeconds: 0.2 } })) as { admission: { validating: { settings: Record<string, unknown> }[] } };
  config.admission.validating[0]!.settings["files"] = [file];
  return withPodgate(dir, stringify(config), {}, async (podgate) => {
    const rss = podgate.rssMiB();
    const problems: string[] = [];
    const load = runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 16, durationMs: (edits + 4) * 1000, calls: CALLS });
    const metric = async (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, "\\$&")} (\\S+)$`, "m").exec(await fetch(podgate.metricsUrl!).then((r) => r.text()))?.[1] ?? 0);
    let brokenSeen = false;
    for (let i = 1; i <= edits; i++) {
      await sleep(1000);
      if (i === Math.ceil(edits / 2)) {
        await replace(policy(i, true));
        await sleep(1000);
        const ready = await podgate.readyz();
        brokenSeen = ready.status === 200 && /config: the changed config is invalid/.test(ready.text);
        if (!brokenSeen) problems.push(`after a broken edit /readyz answered ${ready.status}: ${ready.text.slice(0, 200)}`);
        if (!podgate.logs.some((line) => line.includes("validatons: unknown key"))) problems.push("the broken edit's problem is not in the log");
      }
      await replace(policy(i));
    }
    const result = await load;
    await sleep(1000);
    const reloaded = await metric('podgate_config_reloads_total{result="reloaded"}');
    const invalid = await metric('podgate_config_reloads_total{result="invalid"}');
    if (reloaded !== edits) problems.push(`${reloaded} reloads served for ${edits} valid edits`);
    if (invalid !== 1) problems.push(`${invalid} invalid reloads for 1 broken edit`);
    const notes = `${edits} valid edits and 1 broken one during load: ${reloaded} reloads served, ${invalid} refused (old policies kept${brokenSeen ? ", said in /readyz" : ""})`;
    return summary("policy file edited", result, [rss, podgate.rssMiB()], notes, problems);
  });
}

/** Half the measured maximum for a long time: RSS growth under 10 %, no latency drift. */
export async function soak(dir: string, rps: number, seconds: number): Promise<ScenarioResult> {
  return withPodgate(dir, podgateConfig(dir), { keepLogs: false }, async (podgate) => {
    // Warm up (a tenth of the soak, 10 to 60 s) so V8's heap and the caches reach their working size before the starting RSS.
    const warmUpMs = Math.max(10_000, Math.min(60_000, seconds * 100));
    await runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 16, durationMs: warmUpMs, rate: rps, calls: CALLS });
    const rss = podgate.rssMiB();
    const result = await runLoad({ url: podgate.url, ca: podgate.ca, concurrency: 16, durationMs: seconds * 1000, rate: rps, calls: CALLS });
    const rssEnd = podgate.rssMiB();
    const problems: string[] = [];
    const growth = (rssEnd - rss) / rss;
    if (growth >= 0.1) problems.push(`RSS grew ${round(growth * 100)} %`);
    const [first50, first99] = [percentile(latencies(result, 0, 0.1), 50), percentile(latencies(result, 0, 0.1), 99)];
    const [last50, last99] = [percentile(latencies(result, 0.9, 1), 50), percentile(latencies(result, 0.9, 1), 99)];
    // Drift: the last tenth's latency well above the first tenth's (with a floor for millisecond noise).
    if (last50 > first50 * 1.5 + 1 || last99 > first99 * 1.5 + 5) problems.push(`latency drifted: p50 ${round(first50)} -> ${round(last50)} ms, p99 ${round(first99)} -> ${round(last99)} ms`);
    const notes = `${seconds} s at ${Math.round(rps)} req/s (half of max): achieved ${Math.round(result.ok / (result.durationMs / 1000))} req/s; p50 ${round(first50)} -> ${round(last50)} ms, p99 ${round(first99)} -> ${round(last99)} ms (first vs last tenth); RSS ${round(growth * 100)} %`;
    return summary("soak", result, [rss, rssEnd], notes, problems);
  });
}

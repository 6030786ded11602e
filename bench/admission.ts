// The admission bench: every scenario's maximum throughput (closed loop),
// latency at 25/50/90% of the protocol floor's maximum (open loop), CPU per
// operation and memory, repeated in interleaved rounds so slow drift on a
// shared machine hits every scenario alike; figures are the rounds' medians.
// Run alone: node bench/admission.ts [--quick]
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureLocalCertificates, TLS_FILES } from "../src/server/tls.ts";
import { patchedReview, probe, readReply, runLoadChild, startServerChild, type StepCheck } from "./admission/harness.ts";
import { REVIEW_FIXTURE, scenarios, type Scenario } from "./admission/scenarios.ts";
import type { ServerKind } from "./admission/server.ts";
import type { LoadResult } from "./load/client.ts";
import { detectPinning, type Pinning } from "./pin.ts";
import { cpuProfile, summariseProfile, type ProfileSummary } from "./report/cpuprofile.ts";
import { median } from "./stats.ts";

export const LOAD_FRACTIONS = [0.25, 0.5, 0.9] as const;
/** Unrecorded load at the start of each latency run: a fresh generator's first requests are slow on its side. */
const CLIENT_WARMUP_MS = 300;

export interface AdmissionOptions {
  readonly rounds: number;
  /** Length of each timed run. */
  readonly runMs: number;
  readonly warmupMs: number;
  /** Connections of the closed-loop (maximum throughput) runs. */
  readonly connections: number;
  /** Connections available to the open-loop runs (an operation waits when all are busy). */
  readonly rateConnections: number;
  /** Only these scenario ids (the floor always runs: loads are fractions of it). */
  readonly only?: readonly string[];
  readonly log: (line: string) => void;
}

export const FULL: Omit<AdmissionOptions, "log"> = { rounds: 3, runMs: 4_000, warmupMs: 1_500, connections: 16, rateConnections: 32 };
export const QUICK: Omit<AdmissionOptions, "log"> = { rounds: 1, runMs: 1_000, warmupMs: 500, connections: 16, rateConnections: 32 };

export interface LatencyPoint {
  readonly fraction: number;
  /** Offered operations per second. */
  readonly rate: number;
  /** Completed operations per second. */
  readonly achieved: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  /** The server could not keep up: latency grows with the run's length, not a steady figure. */
  readonly saturated: boolean;
  /** The longest GC pause in the server during this run (ms), when measured. */
  readonly gcLongestMs?: number;
}

export interface ScenarioRound {
  readonly throughput: number;
  /** Share of the maximum-throughput run the server spent in GC pauses, when measured. */
  readonly gcShare?: number;
  readonly cpuUsPerOp: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  readonly latency: readonly LatencyPoint[];
  readonly rssBytes: number;
  readonly maxRssBytes: number;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly server: ServerKind;
  readonly requestsPerOp: number;
  readonly checks: readonly StepCheck[];
  readonly rounds: readonly ScenarioRound[];
  /** Medians over the rounds. */
  readonly throughput: number;
  readonly cpuUsPerOp: number;
  /** Share of the maximum-throughput run spent in GC pauses (NaN when not measured). */
  readonly gcShare: number;
  readonly latency: readonly LatencyPoint[];
  /** The highest over the rounds. */
  readonly rssBytes: number;
  readonly maxRssBytes: number;
  readonly errors: number;
}

export interface AdmissionReport {
  readonly bodyBytes: number;
  readonly pinning: Pinning;
  readonly options: Omit<AdmissionOptions, "log">;
  /** The floor's round-1 maximum: the base of every offered load. */
  readonly floorThroughput: number;
  readonly scenarios: readonly ScenarioResult[];
}

interface Context {
  readonly pinning: Pinning;
  readonly ca: string;
  readonly tlsDir: string;
  readonly review: string;
  readonly uid: string;
  readonly options: AdmissionOptions;
}

/** Sends each step once and checks the replies; returns the checks and the bodies each step sends. */
async function checkScenario(context: Context, scenario: Scenario, port: number): Promise<{ checks: StepCheck[]; steps: { path: string; body: string }[] }> {
  let mutated: string | undefined;
  const checks: StepCheck[] = [];
  const steps: { path: string; body: string }[] = [];
  for (const step of scenario.steps) {
    let body = context.review;
    if (step.body === "mutated") {
      if (mutated === undefined) throw new Error(`${scenario.id}: ${step.path} needs a patch from an earlier /mutate step, and none came`);
      body = mutated;
    }
    const { patch, ...check } = readReply(step.path, context.uid, await probe(port, context.ca, step.path, body));
    if (patch) mutated = patchedReview(context.review, patch);
    checks.push(check);
    steps.push({ path: step.path, body });
  }
  return { checks, steps };
}

async function runScenarioRound(context: Context, scenario: Scenario, floorThroughput: () => number | undefined): Promise<{ round: ScenarioRound; checks: StepCheck[]; throughput: number }> {
  const { options, pinning } = context;
  const server = await startServerChild(pinning, { kind: scenario.server, tlsDir: context.tlsDir, ...(scenario.config !== undefined ? { config: scenario.config } : {}) });
  try {
    const { checks, steps } = await checkScenario(context, scenario, server.port);
    const base = { host: "127.0.0.1" as const, port: server.port, ca: context.ca, steps };
    // The first run warms the server up; the second is timed, its own warm-up excluded from CPU time too.
    await runLoadChild(pinning, { ...base, connections: options.connections, durationMs: options.warmupMs, maxOps: options.warmupMs * 100 });
    const before = await server.usage();
    const max = await runLoadChild(pinning, { ...base, connections: options.connections, durationMs: options.runMs, maxOps: options.runMs * 100 });
    const after = await server.usage();
    const latency: LatencyPoint[] = [];
    const runs = [max];
    // The floor's own latency runs use the maximum it has just shown.
    const reference = floorThroughput() ?? max.throughput;
    for (const fraction of LOAD_FRACTIONS) {
      const rate = Math.max(1, Math.round(reference * fraction));
      await server.usage(); // starts the longest-pause window
      const run = await runLoadChild(pinning, { ...base, connections: options.rateConnections, rate, warmupMs: CLIENT_WARMUP_MS, durationMs: options.runMs, maxOps: Math.ceil((rate * options.runMs) / 1000) + 1 });
      latency.push({ ...latencyPoint(fraction, rate, run), gcLongestMs: (await server.usage()).gcLongestMs });
      runs.push(run);
    }
    const end = await server.usage();
    return {
      checks,
      throughput: max.throughput,
      round: {
        throughput: max.throughput,
        cpuUsPerOp: max.ops > 0 ? (after.cpuUs - before.cpuUs) / max.ops : Number.NaN,
        gcShare: (after.gcMs - before.gcMs) / max.elapsedMs,
        errors: runs.reduce((n, r) => n + r.errors, 0),
        errorSamples: runs.flatMap((r) => r.errorSamples),
        latency,
        rssBytes: end.rssBytes,
        maxRssBytes: end.maxRssBytes,
      },
    };
  } finally {
    await server.stop();
  }
}

export function latencyPoint(fraction: number, rate: number, run: LoadResult): LatencyPoint {
  return {
    fraction,
    rate,
    achieved: run.throughput,
    p50: run.latency.p50,
    p99: run.latency.p99,
    p999: run.latency.p999,
    // Fewer than 95% of the offered operations done, or some never sent: the queue was growing.
    saturated: run.unsent > 0 || run.errors > 0 || run.ops < 0.95 * ((rate * run.elapsedMs) / 1000),
  };
}

/** Per-round figures folded into medians (latency point by point). */
export function summariseRounds(rounds: readonly ScenarioRound[]): Pick<ScenarioResult, "throughput" | "cpuUsPerOp" | "gcShare" | "latency" | "rssBytes" | "maxRssBytes" | "errors"> {
  const first = rounds[0];
  if (!first) throw new Error("no rounds to summarise");
  return {
    throughput: median(rounds.map((r) => r.throughput)),
    cpuUsPerOp: median(rounds.map((r) => r.cpuUsPerOp)),
    gcShare: median(rounds.map((r) => r.gcShare ?? Number.NaN)),
    latency: first.latency.map((point, i) => {
      const points = rounds.map((r) => r.latency[i]!);
      return {
        fraction: point.fraction,
        rate: median(points.map((p) => p.rate)),
        achieved: median(points.map((p) => p.achieved)),
        p50: median(points.map((p) => p.p50)),
        p99: median(points.map((p) => p.p99)),
        p999: median(points.map((p) => p.p999)),
        saturated: points.filter((p) => p.saturated).length * 2 > points.length,
        gcLongestMs: median(points.map((p) => p.gcLongestMs ?? Number.NaN)),
      };
    }),
    rssBytes: Math.max(...rounds.map((r) => r.rssBytes)),
    maxRssBytes: Math.max(...rounds.map((r) => r.maxRssBytes)),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
  };
}

export async function runAdmission(options: AdmissionOptions): Promise<AdmissionReport> {
  const pinning = detectPinning();
  options.log(`admission: ${pinning.note}`);
  const tlsDir = await mkdtemp(join(tmpdir(), "podgate-bench-"));
  try {
    await ensureLocalCertificates(tlsDir);
    const ca = await readFile(join(tlsDir, TLS_FILES.ca), "utf8");
    const fixture = JSON.parse(await readFile(REVIEW_FIXTURE, "utf8")) as { request: { uid: string } };
    const review = JSON.stringify(fixture);
    const context: Context = { pinning, ca, tlsDir, review, uid: fixture.request.uid, options };
    const chosen = scenarios().filter((s) => s.id === "floor" || !options.only || options.only.includes(s.id));
    const rounds = new Map<string, ScenarioRound[]>(chosen.map((s) => [s.id, []]));
    const checks = new Map<string, StepCheck[]>();
    let floorThroughput: number | undefined;
    for (let round = 1; round <= options.rounds; round++) {
      for (const scenario of chosen) {
        const started = performance.now();
        const result = await runScenarioRound(context, scenario, () => floorThroughput);
        if (scenario.id === "floor") floorThroughput ??= result.throughput;
        rounds.get(scenario.id)!.push(result.round);
        checks.set(scenario.id, result.checks);
        const errors = result.round.errors ? `, ${result.round.errors} errors (${result.round.errorSamples[0]})` : "";
        options.log(`admission: round ${round}/${options.rounds} ${scenario.id}: ${Math.round(result.throughput)} ops/s${errors} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
    return {
      bodyBytes: Buffer.byteLength(review),
      pinning,
      options: { rounds: options.rounds, runMs: options.runMs, warmupMs: options.warmupMs, connections: options.connections, rateConnections: options.rateConnections, ...(options.only ? { only: options.only } : {}) },
      floorThroughput: floorThroughput ?? Number.NaN,
      scenarios: chosen.map((s) => ({ id: s.id, title: s.title, server: s.server, requestsPerOp: s.steps.length, checks: checks.get(s.id) ?? [], rounds: rounds.get(s.id)!, ...summariseRounds(rounds.get(s.id)!) })),
    };
  } finally {
    await rm(tlsDir, { recursive: true, force: true });
  }
}

export interface ProfileReport {
  readonly scenario: string;
  readonly file: string;
  readonly opsPerSecond: number;
  readonly summary: ProfileSummary;
}

/** Each podgate scenario under closed-loop load with --cpu-prof (not timed: the profiler slows it down). */
export async function profileAdmission(options: AdmissionOptions, dir: string): Promise<ProfileReport[]> {
  const pinning = detectPinning();
  const tlsDir = await mkdtemp(join(tmpdir(), "podgate-bench-"));
  try {
    await ensureLocalCertificates(tlsDir);
    const ca = await readFile(join(tlsDir, TLS_FILES.ca), "utf8");
    const fixture = JSON.parse(await readFile(REVIEW_FIXTURE, "utf8")) as { request: { uid: string } };
    const context: Context = { pinning, ca, tlsDir, review: JSON.stringify(fixture), uid: fixture.request.uid, options };
    const reports: ProfileReport[] = [];
    for (const scenario of scenarios().filter((s) => s.server === "podgate" && (!options.only || options.only.includes(s.id)))) {
      const name = `${scenario.id}.cpuprofile`;
      const server = await startServerChild(pinning, { kind: "podgate", tlsDir, config: scenario.config }, ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}`]);
      let run: LoadResult;
      try {
        const { steps } = await checkScenario(context, scenario, server.port);
        run = await runLoadChild(pinning, { host: "127.0.0.1", port: server.port, ca, steps, connections: options.connections, warmupMs: options.warmupMs, durationMs: options.runMs, maxOps: options.runMs * 100 });
      } finally {
        await server.stop();
      }
      const file = join(dir, name);
      const summary = summariseProfile(cpuProfile.parse(JSON.parse(await readFile(file, "utf8"))));
      options.log(`profile: ${scenario.id}: ${Math.round(run.throughput)} ops/s under the profiler, ${file}`);
      reports.push({ scenario: scenario.id, file, opsPerSecond: run.throughput, summary });
    }
    return reports;
  } finally {
    await rm(tlsDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  const report = await runAdmission({ ...(quick ? QUICK : FULL), log: (line) => console.error(line) });
  console.log(JSON.stringify(report, null, 2));
}

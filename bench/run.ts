// npm run bench: admission and extender in process and (when the control
// plane is built) pod creates through the real apiserver and the whole flow,
// in one run. Prints a table, writes bench/results/<time>.json,
// and with --write-docs refreshes the figures and chart in docs/benchmarks.md.
// Benchmarks report; they do not fail on a missed target (exit 0 unless the
// bench itself breaks: 1; bad flags: 2).
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { binDir } from "../src/harness/controlplane.ts";
import { buildPodgate } from "../test/support/build.ts";
import { commandLine, usageError } from "../test/support/command-line.ts";
import { FULL, QUICK, profileAdmission, runAdmission, type AdmissionReport, type ProfileReport } from "./admission.ts";
import { FULL as APISERVER_FULL, QUICK as APISERVER_QUICK, runApiserverBench } from "./apiserver.ts";
import { runExtenderBench, type ExtenderRow } from "./extender.ts";
import { describeMachine } from "./machine.ts";
import { figuresMarkdown, latencyChart, replaceFigures, stdoutReport, type BenchResults } from "./report/render.ts";
import { lineChartSvg } from "./report/svg.ts";
import { formatTable } from "./report/table.ts";
import { apiserverTargets, extenderTargets } from "./report/targets.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RESULTS_DIR = join(ROOT, "bench/results");
const DOCS = join(ROOT, "docs/benchmarks.md");
const CHART = join(ROOT, "docs/benchmarks-latency.svg");
const FLOW_MODULE = join(ROOT, "bench/flow.ts");
const CONTROL_PLANE = ["kube-apiserver", "kube-scheduler", "kube-controller-manager", "etcd", "kwok"];
const PARTS = ["admission", "extender", "apiserver", "flow"] as const;

const USAGE = `usage: npm run bench -- [--quick] [--parts admission,extender,apiserver,flow] [--scenarios id,...] [--flow] [--profile] [--write-docs]
  --quick        one short round of each part instead of three to five
  --parts        which parts to run (default: all; apiserver and flow only when the control plane is built)
  --scenarios    admission scenarios: floor (always), ceiling, empty, mutate, validate, mutate-alone, validate-alone, both
  --flow         run the apiserver and whole-flow parts even if the control-plane binaries were not found
  --profile      also run each podgate scenario under --cpu-prof and summarise where time goes
  --write-docs   refresh the figures in docs/benchmarks.md and docs/benchmarks-latency.svg
  --render FILE  run nothing: print (and with --write-docs, document) an earlier results file`;

function options() {
  const { values } = commandLine(USAGE, {
    options: {
      quick: { type: "boolean", default: false },
      parts: { type: "string" },
      scenarios: { type: "string" },
      flow: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      "write-docs": { type: "boolean", default: false },
      render: { type: "string" },
    },
  });
  const parts = values.parts?.split(",").map((p) => p.trim()) ?? [...PARTS];
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length > 0) usageError(`--parts: unknown ${unknown.join(", ")}; expected some of ${PARTS.join(", ")}`, USAGE);
  return { ...values, parts: new Set(parts), scenarios: values.scenarios?.split(",").map((s) => s.trim()) };
}

/** Why the parts on the control plane (apiserver, flow) cannot run here, or undefined when they can. */
export function flowBlocker(forced: boolean, binDir: string, present: (path: string) => boolean): string | undefined {
  if (!present(FLOW_MODULE)) return "bench/flow.ts is not on this branch (the e2e harness issue provides it)";
  if (forced) return undefined;
  const missing = CONTROL_PLANE.filter((b) => !present(join(binDir, b)));
  if (missing.length > 0) return `control-plane binaries not built (${missing.join(", ")} missing in ${binDir}); run controlplane/build.sh, or pass --flow`;
  return undefined;
}

const controlPlaneBlocker = (forced: boolean) => flowBlocker(forced, binDir(), existsSync);

type ApiserverPart = NonNullable<BenchResults["apiserver"]>;

async function runApiserver(forced: boolean, quick: boolean, log: (line: string) => void): Promise<ApiserverPart> {
  const blocker = controlPlaneBlocker(forced);
  if (blocker) return { ran: false, reason: blocker };
  try {
    return { ran: true, report: await runApiserverBench(quick ? APISERVER_QUICK : APISERVER_FULL, log) };
  } catch (error) {
    return { ran: false, reason: `the apiserver bench failed: ${(error as Error).message}` };
  }
}

async function runFlow(forced: boolean, quick: boolean): Promise<BenchResults["flow"]> {
  const blocker = controlPlaneBlocker(forced);
  if (blocker) return { ran: false, reason: blocker };
  const flow = (await import(pathToFileURL(FLOW_MODULE).href)) as { main?: (argv: readonly string[]) => Promise<unknown> };
  if (typeof flow.main !== "function") return { ran: false, reason: "bench/flow.ts exports no main()" };
  try {
    // Its own flags only: our argv is not its business.
    return { ran: true, result: (await flow.main(quick ? ["--quick"] : [])) ?? null };
  } catch (error) {
    return { ran: false, reason: `the flow bench failed: ${(error as Error).message}` };
  }
}

function profileNotes(profiles: readonly ProfileReport[]): string {
  return profiles
    .map((p) => [`\nProfile ${p.scenario} (${Math.round(p.opsPerSecond)} ops/s under the profiler; ${p.file}): self time by area`, formatTable([["area", "ms", "% of busy"], ...p.summary.areas.slice(0, 10).map((a) => [a.name, a.ms.toFixed(0), a.percent.toFixed(1)])]), formatTable([["function", "ms", "% of busy"], ...p.summary.functions.slice(0, 10).map((f) => [f.name, f.ms.toFixed(0), f.percent.toFixed(1)])])].join("\n"))
    .join("\n");
}

async function main(): Promise<void> {
  const flags = options();
  if (flags.render) {
    await publish(JSON.parse(await readFile(flags.render, "utf8")) as BenchResults, flags["write-docs"]);
    return;
  }
  buildPodgate();
  const started = new Date();
  const t0 = performance.now();
  const machine = describeMachine();
  const log = (line: string) => console.error(line);
  const admissionOptions = { ...(flags.quick ? QUICK : FULL), ...(flags.scenarios ? { only: flags.scenarios } : {}), log };

  let admission: AdmissionReport | undefined;
  if (flags.parts.has("admission")) admission = await runAdmission(admissionOptions);
  let extender: ExtenderRow[] | undefined;
  if (flags.parts.has("extender")) {
    log("extender: filter and prioritize at 100, 1,000 and 5,000 nodes");
    extender = runExtenderBench(flags.quick);
  }
  const apiserver: ApiserverPart = flags.parts.has("apiserver") ? await runApiserver(flags.flow, flags.quick, log) : { ran: false, reason: "not asked for (--parts)" };
  if (!apiserver.ran) log(`apiserver: skipped: ${apiserver.reason}`);
  const flow: BenchResults["flow"] = flags.parts.has("flow") ? await runFlow(flags.flow, flags.quick) : { ran: false, reason: "not asked for (--parts)" };
  if (!flow.ran) log(`flow: skipped: ${flow.reason}`);
  let profiles: ProfileReport[] | undefined;
  const stamp = started.toISOString().replace(/[:.]/g, "-");
  if (flags.profile) {
    const dir = join(RESULTS_DIR, `profiles-${stamp}`);
    await mkdir(dir, { recursive: true });
    profiles = await profileAdmission(admissionOptions, dir);
  }

  const results: BenchResults = {
    startedAt: started.toISOString(),
    durationSeconds: (performance.now() - t0) / 1000,
    quick: flags.quick,
    machine,
    loadAverageAtEnd: os.loadavg()[0]!,
    ...(admission ? { admission } : {}),
    ...(extender ? { extender } : {}),
    apiserver,
    flow,
    targets: targetsOf({ apiserver, ...(extender ? { extender } : {}) }),
    ...(profiles ? { profiles } : {}),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${stamp}.json`);
  await writeFile(file, JSON.stringify(results, null, 2) + "\n");
  await publish(results, flags["write-docs"]);
  console.log(`\nresults: ${file}`);
}

/** The performance issue's targets; the in-process admission figures are regression figures, with none. */
function targetsOf(run: Pick<BenchResults, "apiserver" | "extender">) {
  return [...(run.apiserver?.ran ? apiserverTargets(run.apiserver.report) : []), ...(run.extender ? extenderTargets(run.extender) : [])];
}

async function publish(run: BenchResults, writeDocs: boolean): Promise<void> {
  // Targets are recomputed, so an earlier file is judged by today's rules.
  const results: BenchResults = { ...run, targets: targetsOf(run) };
  console.log(stdoutReport(results));
  if (results.profiles) console.log(profileNotes(results.profiles));
  if (writeDocs) {
    const admission = results.admission;
    const chart = admission ? lineChartSvg(latencyChart(admission)) : undefined;
    if (chart) await writeFile(CHART, chart);
    await writeFile(DOCS, replaceFigures(await readFile(DOCS, "utf8"), figuresMarkdown(results, chart ? "benchmarks-latency.svg" : undefined)));
    console.log(`docs: ${DOCS}${chart ? `, ${CHART}` : ""}`);
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  });
}

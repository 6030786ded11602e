// One run's results as tables (stdout and docs/benchmarks.md) and as the
// latency chart; and the figures section of the docs replaced in place.
import type { AdmissionReport, ProfileReport } from "../admission.ts";
import type { ApiserverReport } from "../apiserver.ts";
import { extenderTable, type ExtenderRow } from "../extender.ts";
import { machineLine, type Machine } from "../machine.ts";
import type { Chart } from "./svg.ts";
import { formatTable } from "./table.ts";
import { cpuPerCreateMs, type TargetCheck } from "./targets.ts";

export interface BenchResults {
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly quick: boolean;
  readonly machine: Machine;
  readonly loadAverageAtEnd: number;
  readonly admission?: AdmissionReport;
  readonly extender?: readonly ExtenderRow[];
  /** Absent in results written before the apiserver part existed. */
  readonly apiserver?: { readonly ran: false; readonly reason: string } | { readonly ran: true; readonly report: ApiserverReport };
  readonly flow: { readonly ran: false; readonly reason: string } | { readonly ran: true; readonly result: unknown };
  readonly targets: readonly TargetCheck[];
  readonly profiles?: readonly ProfileReport[];
}

const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : "-");
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)}%` : "-");

export function admissionRows(report: AdmissionReport): string[][] {
  const floor = report.scenarios.find((s) => s.id === "floor");
  const ceiling = report.scenarios.find((s) => s.id === "ceiling");
  const header = [
    "scenario",
    "max ops/s",
    "vs floor",
    "vs ceiling",
    "CPU µs/op",
    "CPU vs floor",
    "capacity vs floor (CPU)",
    ...report.scenarios[0]!.latency.map((p) => `p50/p99/p99.9 ms @${Math.round(p.fraction * 100)}%`),
    "GC time @max",
    `longest GC pause ms @${report.scenarios[0]!.latency.map((p) => `${Math.round(p.fraction * 100)}`).join("/")}%`,
    "peak RSS MB",
  ];
  return [
    header,
    ...report.scenarios.map((s) => [
      s.requestsPerOp > 1 ? `${s.id} (${s.requestsPerOp} requests)` : s.id,
      String(Math.round(s.throughput)),
      floor ? pct(s.throughput / floor.throughput) : "-",
      ceiling ? pct(s.throughput / ceiling.throughput) : "-",
      ms(s.cpuUsPerOp),
      floor ? `${(s.cpuUsPerOp / floor.cpuUsPerOp).toFixed(2)}x` : "-",
      // What the throughput ratio would be with a core to itself: the steadiest ratio on a busy machine.
      floor ? pct(floor.cpuUsPerOp / s.cpuUsPerOp) : "-",
      ...s.latency.map((p) => `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.p999)}${p.saturated ? " (sat.)" : ""}`),
      Number.isFinite(s.gcShare) ? `${(s.gcShare * 100).toFixed(1)}%` : "-",
      s.latency.map((p) => ms(p.gcLongestMs ?? Number.NaN)).join(" / "),
      (s.maxRssBytes / 2 ** 20).toFixed(0),
    ]),
  ];
}

export function apiserverRows(report: ApiserverReport): string[][] {
  const components = [...new Set(report.setups.flatMap((s) => Object.keys(s.cpuPer1000)))];
  const header = ["setup", "p50 ms", "p90 ms", "p99 ms", `creates/s (${report.options.creators} creators)`, "vs A", "vs B", "p50 over A", "p50 over B", ...components.map((c) => `${c} CPU s/1000`), "CPU ms/create", "podgate calls/create"];
  return [
    header,
    ...report.setups.map((s) => [
      `${s.id} ${s.name}`,
      ms(s.p50),
      ms(s.p90),
      ms(s.p99),
      `${s.createsPerSecond} (${s.eachRound.join(" / ")})`,
      pct(s.vsA),
      pct(s.vsB),
      ms(s.p50AddedOverA),
      ms(s.p50AddedOverB),
      ...components.map((c) => ms(s.cpuPer1000[c] ?? Number.NaN)),
      ms(cpuPerCreateMs(s)),
      String(Object.values(s.webhookCallsPerCreate).reduce((a, b) => a + b, 0)),
    ]),
  ];
}

function apiserverCaption(report: ApiserverReport): string {
  const o = report.options;
  return `Pod creates through kube-apiserver: ${o.rounds} interleaved rounds; per setup and round ${o.sequential} creates one at a time (latency) and ${o.concurrent} from ${o.creators} creators (creates/s), after ${o.warmup} warm-up creates; medians over the rounds, each ratio taken within its round. CPU is per 1,000 creates, less each component's idle burn. Load average at each round's start: ${report.loadAverages.join(", ")}.`;
}

export function targetRows(targets: readonly TargetCheck[]): string[][] {
  return [["target", "measured", "met"], ...targets.map((t) => [t.target, t.measured, t.met ? "yes" : "**no**"])];
}

export function latencyChart(report: AdmissionReport): Chart {
  const keys = [["p50", "p50"], ["p99", "p99"], ["p999", "p99.9"]] as const;
  return {
    title: `Admission latency vs offered load (${(report.bodyBytes / 1024).toFixed(1)} KB review, HTTPS keep-alive, medians of ${report.options.rounds} rounds)`,
    xLabel: "offered load, operations/s",
    yLabel: "latency, ms (log scale)",
    panels: keys.map(([key, title]) => ({
      title,
      series: report.scenarios.map((s) => ({ name: s.id, points: s.latency.map((p) => ({ x: p.rate, y: p[key], hollow: p.saturated })) })),
    })),
    note: "Hollow markers: the server could not keep up (open-loop queue growing); those latencies grow with the run length.",
  };
}

export function stdoutReport(results: BenchResults): string {
  const parts = [`podgate bench — ${machineLine(results.machine)}; load average ${results.loadAverageAtEnd.toFixed(2)} at end; ${results.durationSeconds.toFixed(0)} s`];
  if (results.admission) {
    const a = results.admission;
    parts.push(
      `\nAdmission (${a.bodyBytes} B review, ${a.options.rounds} rounds of ${a.options.runMs} ms runs, medians; ${a.pinning.note}; loads are fractions of the floor's ${Math.round(a.floorThroughput)} ops/s)`,
      formatTable(admissionRows(a)),
    );
  }
  if (results.extender) parts.push("\nExtender (median ms per call, in process)", formatTable(extenderTable(results.extender)));
  if (results.apiserver?.ran) parts.push(`\n${apiserverCaption(results.apiserver.report)}`, formatTable(apiserverRows(results.apiserver.report)));
  else if (results.apiserver) parts.push(`\nApiserver: skipped: ${results.apiserver.reason}`);
  parts.push(`\nWhole flow: ${results.flow.ran ? "ran (see the JSON file)" : `skipped: ${results.flow.reason}`}`);
  if (results.targets.length > 0) parts.push("\nTargets", formatTable(targetRows(results.targets)));
  return parts.join("\n");
}

export const FIGURES_BEGIN = "<!-- bench:figures:begin (written by `npm run bench -- --write-docs`) -->";
export const FIGURES_END = "<!-- bench:figures:end -->";

export function figuresMarkdown(results: BenchResults, chartPath: string | undefined): string {
  const lines = [`Run of ${results.startedAt}${results.quick ? " (--quick)" : ""}, ${results.durationSeconds.toFixed(0)} s. Machine: ${machineLine(results.machine)}; ${results.loadAverageAtEnd.toFixed(2)} at the end.`, ""];
  if (results.admission) {
    const a = results.admission;
    lines.push(
      "### Admission",
      "",
      `${a.bodyBytes}-byte review, ${a.options.rounds} interleaved rounds, ${a.options.runMs / 1000} s per run, medians; ${a.pinning.note}. Loads are 25/50/90% of the floor's maximum (${Math.round(a.floorThroughput)} ops/s). An operation of \`both\` is two requests.`,
      "",
      formatTable(admissionRows(a)),
      "",
    );
    if (chartPath) lines.push(`![latency percentiles against offered load](${chartPath})`, "");
  }
  if (results.extender) lines.push("### Extender", "", "Median ms per call, in process (parse, validate, verb, serialize).", "", formatTable(extenderTable(results.extender)), "");
  if (results.apiserver?.ran) lines.push("### Through kube-apiserver", "", apiserverCaption(results.apiserver.report), "", formatTable(apiserverRows(results.apiserver.report)), "");
  else if (results.apiserver) lines.push("### Through kube-apiserver", "", `Not run: ${results.apiserver.reason}.`, "");
  // The flow's tables run to hundreds of lines of JSON; "Whole flow" below the figures reads them by hand.
  lines.push("### Whole flow", "", results.flow.ran ? "Ran: its tables are in the run's output and in `bench/results/`; the section after these figures reads them." : `Not run: ${results.flow.reason}.`, "");
  if (results.targets.length > 0) lines.push("### Targets", "", formatTable(targetRows(results.targets)), "");
  return lines.join("\n");
}

/** Replaces what lies between the figure markers; the prose around them is left alone. */
export function replaceFigures(document: string, figures: string): string {
  const begin = document.indexOf(FIGURES_BEGIN);
  const end = document.indexOf(FIGURES_END);
  if (begin < 0 || end < begin) throw new Error(`the document has no ${FIGURES_BEGIN} ... ${FIGURES_END} section`);
  return `${document.slice(0, begin + FIGURES_BEGIN.length)}\n${figures}\n${document.slice(end)}`;
}

// The targets, checked against one run's figures. Benchmarks report;
// a missed target is a line in the table, never a failed command.
import type { AdmissionReport, ScenarioResult } from "../admission.ts";
import type { ExtenderRow } from "../extender.ts";

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const MIB = 2 ** 20;

function scenario(report: AdmissionReport, id: string): ScenarioResult | undefined {
  return report.scenarios.find((s) => s.id === id);
}

export function admissionTargets(report: AdmissionReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const floor = scenario(report, "floor");
  for (const [id, share] of [["mutate", 0.6], ["validate", 0.5]] as const) {
    const s = scenario(report, id);
    if (!s || !floor) continue;
    const ratio = s.throughput / floor.throughput;
    const byCpu = floor.cpuUsPerOp / s.cpuUsPerOp;
    const alone = scenario(report, `${id}-alone`);
    checks.push({
      target: `/${id} throughput >= ${share * 100}% of the floor`,
      measured:
        `${(ratio * 100).toFixed(0)}% (${Math.round(s.throughput)} of ${Math.round(floor.throughput)} ops/s); by CPU per op ${(byCpu * 100).toFixed(0)}%` +
        (alone ? `; the webhooks alone ${((alone.throughput / floor.throughput) * 100).toFixed(0)}%` : ""),
      met: ratio >= share,
    });
  }
  for (const id of ["mutate", "validate"]) {
    const point = scenario(report, id)?.latency.find((p) => p.fraction === 0.5);
    if (!point) continue;
    checks.push({ target: `/${id} p99 <= 3 ms at 50% of the floor's max`, measured: `${point.p99.toFixed(2)} ms at ${Math.round(point.rate)} ops/s${point.saturated ? " (saturated)" : ""}`, met: point.p99 <= 3 && !point.saturated });
  }
  const podgate = report.scenarios.filter((s) => s.server === "podgate");
  if (podgate.length > 0) {
    const peak = Math.max(...podgate.map((s) => s.maxRssBytes));
    const worst = podgate.find((s) => s.maxRssBytes === peak)!;
    checks.push({ target: "podgate peak RSS <= 150 MB", measured: `${(peak / MIB).toFixed(0)} MB (${worst.id})`, met: peak <= 150 * MIB });
  }
  return checks;
}

export function extenderTargets(rows: readonly ExtenderRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const largest = rows.find((r) => r.nodes === 5000);
  if (largest) {
    const total = largest.cacheFilterMs + largest.cachePrioritizeMs;
    checks.push({ target: "node-cache filter+prioritize < 5 ms at 5,000 nodes", measured: `${total.toFixed(2)} ms`, met: total < 5 });
  }
  for (const r of rows) {
    const ratio = (r.fullFilterMs + r.fullPrioritizeMs) / (r.baselineFilterMs + r.baselinePrioritizeMs);
    checks.push({ target: `full-NodeList filter+prioritize <= 2x parse+serialize, ${r.nodes} nodes`, measured: `${ratio.toFixed(2)}x`, met: ratio <= 2 });
  }
  return checks;
}

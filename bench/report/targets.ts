// The performance issue's targets, checked against one run's figures.
// Benchmarks report; a missed target is a line in the table, never a failed
// command. The in-process admission figures are regression figures only.
import type { ApiserverReport, SetupSummary } from "../apiserver.ts";
import type { ExtenderRow } from "../extender.ts";

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

/** CPU ms per create summed over the apiserver, etcd and podgate: what a create costs, whoever pays it. */
export const cpuPerCreateMs = (s: SetupSummary) => Object.values(s.cpuPer1000).reduce((sum, seconds) => sum + seconds, 0);
const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;
const ms = (n: number) => n.toFixed(2);
/** The apiserver's calls to podgate's mutating webhooks per create (their names end in .mutate.podgate.dev). */
export const mutatingCallsPerCreate = (s: SetupSummary) =>
  Object.entries(s.webhookCallsPerCreate)
    .filter(([name]) => name.includes(".mutate."))
    .reduce((sum, [, calls]) => sum + calls, 0);

export function apiserverTargets(report: ApiserverReport): TargetCheck[] {
  const setup = (id: string) => report.setups.find((s) => s.id === id);
  const [a, b, c, d, e] = ["A", "B", "C", "D", "E"].map(setup);
  const checks: TargetCheck[] = [];
  const cpu = (s: SetupSummary) => `; CPU per create ${ms(cpuPerCreateMs(s))} ms`;
  if (b && c) {
    const ratio = c.cpuPer1000["kube-apiserver"]! / b.cpuPer1000["kube-apiserver"]!;
    checks.push({ target: "C (exported VAPs): apiserver CPU per create <= 2x B's", measured: `${ratio.toFixed(2)}x (${ms(c.cpuPer1000["kube-apiserver"]!)} vs ${ms(b.cpuPer1000["kube-apiserver"]!)} ms)`, met: ratio <= 2 });
    checks.push({ target: "C: creates/s >= 80% of B's", measured: `${pct(c.vsB)}${cpu(c)} vs ${ms(cpuPerCreateMs(b))}`, met: c.vsB >= 0.8 });
  }
  if (a && e) {
    checks.push({ target: "E (podgate mutating + validating): creates/s >= 75% of A's", measured: `${pct(e.vsA)}${cpu(e)} vs ${ms(cpuPerCreateMs(a))}`, met: e.vsA >= 0.75 });
    checks.push({ target: "E: p50 added over A <= 2 ms (1 creator)", measured: `${ms(e.p50AddedOverA)} ms`, met: e.p50AddedOverA <= 2 });
    const calls = mutatingCallsPerCreate(e);
    checks.push({ target: "E: one mutating call to podgate per create", measured: `${calls} (${Object.entries(e.webhookCallsPerCreate).map(([name, n]) => `${name} ${n}`).join(", ")})`, met: calls <= 1 });
  }
  if (b && d) {
    checks.push({ target: "D (podgate validating webhook): creates/s >= 90% of B's", measured: `${pct(d.vsB)}${cpu(d)} vs ${ms(cpuPerCreateMs(b))}`, met: d.vsB >= 0.9 });
    checks.push({ target: "D: p50 added over B <= 1 ms (1 creator)", measured: `${ms(d.p50AddedOverB)} ms`, met: d.p50AddedOverB <= 1 });
  }
  return checks;
}

export function extenderTargets(rows: readonly ExtenderRow[]): TargetCheck[] {
  const largest = rows.find((r) => r.nodes === 5000);
  if (!largest) return [];
  const total = largest.cacheFilterMs + largest.cachePrioritizeMs;
  return [{ target: "node-cache filter+prioritize <= 2 ms at 5,000 nodes (in process)", measured: `${total.toFixed(2)} ms`, met: total <= 2 }];
}

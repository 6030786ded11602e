// What the offline tools print: readable tables and JUnit XML. Pure functions.
import { decisionOf, messagesOf, type MutationSummary, type TargetResult } from "./offline.ts";
import type { SuiteResult } from "./suite.ts";

/** Left-aligned columns separated by two spaces, with a header row. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

export function formatSuites(suites: readonly SuiteResult[]): string {
  const out: string[] = [];
  for (const suite of suites) {
    out.push(`Suite ${suite.name} (${suite.file})`);
    if (suite.error) {
      out.push(`  ERROR: ${suite.error.replaceAll("\n", "\n  ")}`, "");
      continue;
    }
    const rows = suite.cases.map((c, i) => [String(i + 1), c.policy, c.resource, c.expected, c.actual, c.ok ? "ok" : "MISMATCH"]);
    out.push(table(["#", "POLICY", "RESOURCE", "EXPECTED", "ACTUAL", "RESULT"], rows).replace(/^/gm, "  "));
    for (const [i, c] of suite.cases.entries()) if (!c.ok && c.detail) out.push(`  #${i + 1}: ${c.detail}`);
    if (suite.note) out.push(`  ${suite.note}`);
    out.push("");
  }
  const cases = suites.flatMap((s) => s.cases);
  const failed = cases.filter((c) => !c.ok).length + suites.filter((s) => s.error).length;
  out.push(`${cases.length - cases.filter((c) => !c.ok).length} passed, ${failed} failed`);
  return out.join("\n");
}

const xml = (text: string) => text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function junitXml(suites: readonly SuiteResult[]): string {
  const body = suites.map((suite) => {
    const failures = suite.cases.filter((c) => !c.ok).length;
    const cases = suite.error
      ? [`    <testcase classname="${xml(suite.name)}" name="load"><error message="${xml(suite.error)}"/></testcase>`]
      : suite.cases.map((c) => {
          const name = `${c.policy} ${c.resource}`;
          const failure = c.ok ? "" : `<failure message="${xml(`expected ${c.expected}, got ${c.actual}${c.detail ? `: ${c.detail}` : ""}`)}"/>`;
          return `    <testcase classname="${xml(suite.name)}" name="${xml(name)}">${failure}</testcase>`;
        });
    return [
      `  <testsuite name="${xml(suite.name)}" file="${xml(suite.file)}" tests="${Math.max(suite.cases.length, suite.error ? 1 : 0)}" failures="${failures}" errors="${suite.error ? 1 : 0}">`,
      ...cases,
      "  </testsuite>",
    ].join("\n");
  });
  return ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>", ...body, "</testsuites>", ""].join("\n");
}

/** A mutation for people: which policies ran, and each operation of the patch on a line. */
function mutationLines(mutation: MutationSummary): string[] {
  const by = [...new Set(mutation.runs.map((r) => r.policy))].join(", ");
  if (mutation.denial !== undefined) return [`  mutation by ${by}: ${mutation.denial}`];
  const lines = [`  mutated by ${by}: ${mutation.patch.length === 0 ? "no change" : `${mutation.patch.length} operation${mutation.patch.length === 1 ? "" : "s"}`}`];
  for (const op of mutation.patch) lines.push(`    ${op.op} ${op.path}${"value" in op ? ` = ${JSON.stringify(op.value)}` : ""}${"from" in op ? ` from ${op.from}` : ""}`);
  for (const e of mutation.ignored) lines.push(`    ignored (failurePolicy Ignore): ${e}`);
  return lines;
}

/** `podgate apply`: per admitted object, what the mutating policies changed, the combined decision and each validating policy's verdict. */
export function formatApply(results: readonly TargetResult[]): string {
  const out: string[] = [];
  for (const result of results) {
    const { target, outcomes, mutation } = result;
    const matched = outcomes.filter((o) => o.verdict.result !== "skip");
    if (matched.length === 0 && !mutation) continue;
    const decision = decisionOf(result);
    const verdict = !decision.allowed ? `DENIED (${decision.status?.code})` : decision.warnings?.length ? "ALLOWED with warnings" : "ALLOWED";
    out.push(`${target.label}: ${verdict}`);
    if (mutation) out.push(...mutationLines(mutation));
    const rows = matched.map((o) => [o.policy.name, o.verdict.result, o.policy.validationActions.join(","), messagesOf(o.verdict).join("; ")]);
    if (rows.length > 0) out.push(table(["POLICY", "RESULT", "ACTIONS", "MESSAGE"], rows).replace(/^/gm, "  "));
    out.push("");
  }
  if (out.length === 0) return "no policy matched any resource";
  return out.join("\n").trimEnd();
}

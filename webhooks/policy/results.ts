// What `podgate apply` and `podgate test` print for scripts (-o json|yaml):
// one document each, whose shape is the schema below (the types come from it),
// with the summary the table's last line gives. Pure functions.
import { z } from "zod";
import { stringify } from "yaml";
import { decisionOf, messagesOf, type TargetResult } from "./offline.ts";
import { formatApply, formatSuites } from "./report.ts";
import { POLICY_API_VERSION } from "./schema.ts";
import type { SuiteResult } from "./suite.ts";

export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

const verdictResult = z.enum(["pass", "fail", "skip", "error"]);

export const applyResult = z.object({
  apiVersion: z.literal(POLICY_API_VERSION),
  kind: z.literal("ApplyResult"),
  objects: z.array(
    z.object({
      /** "Pod shop/web", or "Deployment shop/web (spec.template)" for a workload's pod template. */
      object: z.string(),
      kind: z.string(),
      namespace: z.string().optional(),
      name: z.string(),
      template: z.string().optional(),
      allowed: z.boolean(),
      /** The HTTP code of a denial (403, 422...). */
      code: z.number().int().optional(),
      message: z.string().optional(),
      warnings: z.array(z.string()),
      verdicts: z.array(z.object({ policy: z.string(), result: verdictResult, actions: z.array(z.string()), messages: z.array(z.string()) })),
      /** What the mutating policies did first: the JSON Patch to the object the validating policies judged. */
      mutation: z
        .object({
          policies: z.array(z.string()),
          patch: z.array(z.object({ op: z.string(), path: z.string(), value: z.unknown().optional(), from: z.string().optional() })),
          /** Failed mutations of policies with failurePolicy Ignore. */
          ignored: z.array(z.string()),
          denied: z.string().optional(),
        })
        .optional(),
    }),
  ),
  summary: z.object({ objects: z.number().int(), allowed: z.number().int(), denied: z.number().int(), warned: z.number().int() }),
});
export type ApplyResult = z.infer<typeof applyResult>;

export const testResult = z.object({
  apiVersion: z.literal(POLICY_API_VERSION),
  kind: z.literal("TestResult"),
  suites: z.array(
    z.object({
      name: z.string(),
      file: z.string(),
      /** The suite could not run (invalid suite, policy or module). */
      error: z.string().optional(),
      note: z.string().optional(),
      cases: z.array(z.object({ policy: z.string(), resource: z.string(), expected: z.string(), actual: z.string(), ok: z.boolean(), detail: z.string().optional() })),
    }),
  ),
  summary: z.object({ passed: z.number().int(), failed: z.number().int(), errors: z.number().int() }),
});
export type TestResult = z.infer<typeof testResult>;

/** Objects some policy matched, each with its decision and the matching policies' verdicts. */
function applyResultOf(results: readonly TargetResult[]): ApplyResult {
  const objects = results.flatMap((result) => {
    const { target, outcomes, mutation } = result;
    const matched = outcomes.filter((o) => o.verdict.result !== "skip");
    if (matched.length === 0 && !mutation) return [];
    const decision = decisionOf(result);
    const { kind, namespace } = target.request;
    return [
      {
        object: target.label,
        kind: kind.kind,
        ...(namespace ? { namespace } : {}),
        name: target.name,
        ...(target.template ? { template: target.template } : {}),
        allowed: decision.allowed,
        ...(decision.status?.code !== undefined ? { code: decision.status.code } : {}),
        ...(decision.status?.message ? { message: decision.status.message } : {}),
        warnings: [...(decision.warnings ?? [])],
        verdicts: matched.map((o) => ({ policy: o.policy.name, result: o.verdict.result, actions: [...o.policy.validationActions], messages: messagesOf(o.verdict) })),
        ...(mutation ? { mutation: { policies: mutation.runs.map((r) => r.policy), patch: [...mutation.patch], ignored: [...mutation.ignored], ...(mutation.denial !== undefined ? { denied: mutation.denial } : {}) } } : {}),
      },
    ];
  });
  const denied = objects.filter((o) => !o.allowed).length;
  const warned = objects.filter((o) => o.allowed && o.warnings.length > 0).length;
  return applyResult.parse({ apiVersion: POLICY_API_VERSION, kind: "ApplyResult", objects, summary: { objects: objects.length, allowed: objects.length - denied, denied, warned } });
}

function testResultOf(suites: readonly SuiteResult[]): TestResult {
  const cases = suites.flatMap((s) => s.cases);
  const failed = cases.filter((c) => !c.ok).length;
  return testResult.parse({
    apiVersion: POLICY_API_VERSION,
    kind: "TestResult",
    suites: suites.map((s) => ({ name: s.name, file: s.file, ...(s.error ? { error: s.error } : {}), ...(s.note ? { note: s.note } : {}), cases: s.cases })),
    summary: { passed: cases.length - failed, failed, errors: suites.filter((s) => s.error !== undefined).length },
  });
}

/** The summary line under `podgate apply`'s table. */
function applySummary({ summary }: ApplyResult): string {
  if (summary.objects === 0) return "";
  return `${summary.objects} object${summary.objects === 1 ? "" : "s"} matched: ${summary.allowed} allowed (${summary.warned} with warnings), ${summary.denied} denied`;
}

const machine = (format: "json" | "yaml", value: unknown) => (format === "json" ? JSON.stringify(value, null, 2) : stringify(value, { lineWidth: 0 }).trimEnd());

export function renderApply(format: OutputFormat, results: readonly TargetResult[]): string {
  const result = applyResultOf(results);
  if (format !== "table") return machine(format, result);
  const summary = applySummary(result);
  return summary ? `${formatApply(results)}\n\n${summary}` : formatApply(results);
}

export function renderTest(format: OutputFormat, suites: readonly SuiteResult[]): string {
  return format === "table" ? formatSuites(suites) : machine(format, testResultOf(suites));
}

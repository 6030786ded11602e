// Judges podgate's PSS library against the oracle's verdicts for one pod:
// every upstream check against the podgate policy held to it, and each level
// (pss-baseline; pss-baseline + pss-restricted), at every PSS version.
import type { KubeObject } from "../../src/admission/review.ts";
import { evaluateAll } from "../../webhooks/policy/decide.ts";
import { loadLibrary } from "../../webhooks/policy/load.ts";
import type { Policy } from "../../webhooks/policy/policy.ts";
import { PSS_CHECK_ANNOTATION, SET_LABEL } from "../../webhooks/policy/schema.ts";
import { requestFor } from "../../webhooks/policy/workload.ts";

/** What the oracle prints for a pod (test/pss/oracle/main.go). */
export interface OracleResult {
  readonly id?: unknown;
  readonly pod?: KubeObject;
  /** checkID -> one character per version v1.0 ... v1.N: '-' no such check, '.' allowed, 'X' forbidden. */
  readonly checks?: Record<string, string>;
  readonly levels?: Record<"baseline" | "restricted", string>;
  readonly details?: Record<string, string>;
  readonly fixture?: { level: "baseline" | "restricted"; version: string; expect: "pass" | "fail"; file: string };
  readonly error?: string;
}

export interface Disagreement {
  /** The upstream check or the level, e.g. "sysctls" or "level restricted". */
  readonly what: string;
  /** The versions where the verdicts differ, e.g. "v1.32-v1.35". */
  readonly versions: string;
  readonly upstream: string;
  readonly podgate: string;
  /** The kind of disagreement, for grouping: what and who denies. */
  readonly kind: string;
}

interface Revision {
  readonly policy: Policy;
  readonly check: string;
  readonly restricted: boolean;
}

/**
 * The library at every PSS version v1.0 ... v1.N, loaded through the same
 * `pss-baseline@v1.X` selections a user writes. Each distinct policy document
 * is kept once, so a pod is evaluated once per document, not per version.
 */
export class Library {
  readonly versions: number;
  readonly revisions: Revision[] = [];
  /** For each version, the indexes of the revisions in force. */
  readonly inForce: number[][] = [];
  constructor(versions: number) {
    this.versions = versions;
    const index = new Map<object, number>();
    for (let minor = 0; minor < versions; minor++) {
      const policies = loadLibrary([{ name: `pss-baseline@v1.${minor}` }, { name: `pss-restricted@v1.${minor}` }]);
      this.inForce.push(
        policies.map((policy) => {
          const key = policy.document!;
          let i = index.get(key);
          if (i === undefined) {
            i = this.revisions.length;
            index.set(key, i);
            const check = key.metadata.annotations?.[PSS_CHECK_ANNOTATION];
            if (!check) throw new Error(`${policy.name} names no upstream check (${PSS_CHECK_ANNOTATION})`);
            this.revisions.push({ policy, check, restricted: policy.labels[SET_LABEL] === "pss-restricted" });
          }
          return i;
        }),
      );
    }
  }

  /** podgate's verdict strings for a pod, in the oracle's format, per check and per level. */
  verdicts(pod: KubeObject): { checks: Record<string, string>; levels: Record<"baseline" | "restricted", string>; messages: Map<string, string> } {
    // One review of every revision, as the webhook evaluates its policies (one cost budget, shared request state).
    const outcomes = evaluateAll(this.revisions.map((r) => r.policy), { request: requestFor(pod) });
    const denied: boolean[] = [];
    const messages = new Map<string, string>();
    outcomes.forEach(({ policy, verdict }, i) => {
      if (verdict.result === "error") throw new Error(`${policy.name}: evaluation error: ${verdict.error}`);
      denied.push(verdict.result === "fail");
      if (verdict.result === "fail") messages.set(this.revisions[i]!.check, verdict.violations.map((v) => v.message).join("; "));
    });
    const checks: Record<string, string[]> = {};
    const baseline: string[] = [];
    const restricted: string[] = [];
    for (let minor = 0; minor < this.versions; minor++) {
      let b = false;
      let r = false;
      for (const i of this.inForce[minor]!) {
        const { check, restricted: isRestricted } = this.revisions[i]!;
        (checks[check] ??= Array<string>(this.versions).fill("-"))[minor] = denied[i] ? "X" : ".";
        if (!isRestricted) b ||= denied[i]!;
        r ||= denied[i]!;
      }
      baseline.push(b ? "X" : ".");
      restricted.push(r ? "X" : ".");
    }
    return {
      checks: Object.fromEntries(Object.entries(checks).map(([k, v]) => [k, v.join("")])),
      levels: { baseline: baseline.join(""), restricted: restricted.join("") },
      messages,
    };
  }
}

/** Runs of differing versions: "v1.0-v1.18, v1.25". */
function differing(a: string, b: string): string {
  const runs: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    let j = i;
    while (j + 1 < Math.max(a.length, b.length) && a[j + 1] !== b[j + 1]) j++;
    runs.push(i === j ? `v1.${i}` : `v1.${i}-v1.${j}`);
    i = j;
  }
  return runs.join(", ");
}

const describe = (s: string) => (s.includes("X") ? (s.includes(".") ? "mixed" : "denies") : "allows");

/** Every disagreement between the oracle and podgate on one pod. */
export function judge(library: Library, oracle: OracleResult): { disagreements: Disagreement[]; messages: Map<string, string> } {
  if (oracle.error || !oracle.pod || !oracle.checks || !oracle.levels) throw new Error(`oracle: ${oracle.error ?? "incomplete result"}`);
  const mine = library.verdicts(oracle.pod);
  const disagreements: Disagreement[] = [];
  const compare = (what: string, upstream: string, podgate: string) => {
    if (upstream === podgate) return;
    const versions = differing(upstream, podgate);
    const first = [...upstream].findIndex((c, i) => c !== podgate[i]);
    const who = upstream[first] === "-" ? "podgate has a policy where upstream has no check" : podgate[first] === "-" ? "podgate has no policy" : podgate[first] === "X" ? "podgate denies, upstream allows" : "podgate allows, upstream denies";
    disagreements.push({ what, versions, upstream: describe(upstream), podgate: describe(podgate), kind: `${what}: ${who}` });
  };
  for (const check of new Set([...Object.keys(oracle.checks), ...Object.keys(mine.checks)])) {
    compare(check, oracle.checks[check] ?? "-".repeat(library.versions), mine.checks[check] ?? "-".repeat(library.versions));
  }
  for (const level of ["baseline", "restricted"] as const) compare(`level ${level}`, oracle.levels[level], mine.levels[level]);
  return { disagreements, messages: mine.messages };
}

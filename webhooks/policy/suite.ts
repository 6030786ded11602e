// Policy test suites (`podgate test`), in the manner of `kyverno test`: policies,
// resources, and the verdict each policy must give each resource.
import { readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { z } from "zod";
import { describeIssue } from "../../src/issues.ts";
import { authzFixture } from "./cel-lib/authz.ts";
import { PolicyError } from "./declarative.ts";
import { isDeepStrictEqual } from "node:util";
import { diffPatch } from "../../src/admission/patch.ts";
import { loadMutatingPolicyFiles, loadPolicyFiles, loadPolicyModules, readYamlDocuments, assertUniqueNames, loadLibrary } from "./load.ts";
import { evaluateManifests, flattenManifests, messagesOf, unknownNamespacesNote, worst, type TargetResult } from "./offline.ts";
import { POLICY_API_VERSION } from "./schema.ts";

export const SUITE_FILE = "podgate-test.yaml";

const expectation = z
  .strictObject({
    policy: z.string().min(1),
    /** metadata.name of the resources; a workload's name covers its pod template too. */
    resources: z.array(z.string().min(1)).min(1),
    /** pass, fail: validating policies; mutated, unchanged: mutating ones; skip, error: either. */
    result: z.enum(["pass", "fail", "skip", "error", "mutated", "unchanged"]),
    /** A text every failure message of this policy must include (for fail and error). */
    message: z.string().min(1).optional(),
    /** For a mutating policy: a file (relative to the suite) holding the object as every mutating policy leaves it. */
    patched: z.string().min(1).optional(),
  })
  .refine((e) => e.patched === undefined || e.resources.length === 1, { path: ["patched"], message: "a patched object is compared with one resource: list one" });

export const suiteDocument = z.strictObject({
  apiVersion: z.literal(POLICY_API_VERSION),
  kind: z.literal("PolicyTest"),
  metadata: z.strictObject({ name: z.string().min(1) }),
  /** Paths are relative to the suite file. */
  policies: z.array(z.string().min(1)).default([]),
  library: z.array(z.string().min(1)).default([]),
  modules: z.array(z.string().min(1)).default([]),
  resources: z.array(z.string().min(1)).min(1),
  operation: z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT"]).default("CREATE"),
  /** Answers for the policies' `authorizer` checks: who asks (default: the request's user) and rules. */
  authorizer: authzFixture.optional(),
  results: z.array(expectation).min(1),
});
export type SuiteDocument = z.infer<typeof suiteDocument>;

export interface CaseResult {
  readonly policy: string;
  readonly resource: string;
  readonly expected: string;
  readonly actual: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface SuiteResult {
  readonly name: string;
  readonly file: string;
  readonly cases: readonly CaseResult[];
  /** Set when the suite could not run at all (bad file, policy load error). */
  readonly error?: string;
  /** Said under the suite's table: namespaces judged without their manifests. */
  readonly note?: string;
}

/** Suite files under a directory (recursively), or the file itself. */
export function findSuites(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((entry) => basename(entry) === SUITE_FILE)
    .sort()
    .map((entry) => join(path, entry));
}

function readSuite(file: string): SuiteDocument {
  const [raw, ...more] = readYamlDocuments(file);
  if (more.length > 0) throw new PolicyError([`${file}: one PolicyTest per file`]);
  const parsed = suiteDocument.safeParse(raw);
  if (!parsed.success) throw new PolicyError(parsed.error.issues.map((issue) => `${file}: ${describeIssue(issue).message}`));
  return parsed.data;
}

export function runSuite(file: string): SuiteResult {
  let suite: SuiteDocument;
  try {
    suite = readSuite(file);
    const dir = dirname(file);
    const here = (p: string) => resolve(dir, p);
    const policies = [
      ...loadLibrary(suite.library.map((name) => ({ name }))),
      ...loadPolicyFiles(suite.policies.map(here)),
      ...loadPolicyModules(suite.modules.map(here)),
    ];
    assertUniqueNames(policies);
    const mutating = loadMutatingPolicyFiles(suite.policies.map(here));
    const manifests = flattenManifests(suite.resources.map(here).flatMap((p) => readYamlDocuments(p)));
    const results = evaluateManifests(policies, manifests, { operation: suite.operation, authorizer: suite.authorizer, mutating });
    const known = new Set(policies.map((p) => p.name));
    const knownMutating = new Set(mutating.map((p) => p.name));
    const names = new Set(results.map((r) => r.target.name));
    const cases = suite.results.flatMap((e) =>
      e.resources.map((resource): CaseResult => {
        const base = { policy: e.policy, resource, expected: e.result };
        if (!known.has(e.policy) && !knownMutating.has(e.policy)) return { ...base, actual: "-", ok: false, detail: `no policy "${e.policy}" in this suite` };
        if (!names.has(resource)) return { ...base, actual: "-", ok: false, detail: `no resource named "${resource}" in this suite` };
        if (knownMutating.has(e.policy)) return mutationCase(base, e, results.find((r) => r.target.name === resource && r.target.template === undefined)!, here);
        const verdict = worst(results.filter((r) => r.target.name === resource).flatMap((r) => r.outcomes.filter((o) => o.policy.name === e.policy).map((o) => o.verdict)));
        const messages = messagesOf(verdict);
        const messageOk = e.message === undefined || (messages.length > 0 && messages.every((m) => m.includes(e.message!)));
        const ok = verdict.result === e.result && messageOk;
        const detail = messageOk ? messages.join("; ") : `expected a message containing "${e.message}"; got: ${messages.join("; ") || "(none)"}`;
        return { ...base, actual: verdict.result, ok, ...(detail ? { detail } : {}) };
      }),
    );
    const note = unknownNamespacesNote(policies, results);
    return { name: suite.metadata.name, file, cases, ...(note ? { note } : {}) };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { name: basename(dirname(file)), file, cases: [], error: error.message };
  }
}

/**
 * A mutating policy's case: skip, error (a mutation failed), mutated or unchanged, over its runs
 * (two when the apiserver would reinvoke it); with `patched`, the object after every mutating policy must equal the file's.
 */
function mutationCase(base: Pick<CaseResult, "policy" | "resource" | "expected">, e: z.infer<typeof expectation>, result: TargetResult, here: (p: string) => string): CaseResult {
  const runs = result.mutation?.runs.filter((r) => r.policy === e.policy) ?? [];
  const errors = runs.flatMap((r) => r.errors);
  const actual = runs.length === 0 ? "skip" : errors.length > 0 ? "error" : runs.some((r) => r.changed) ? "mutated" : "unchanged";
  const messageOk = e.message === undefined || (errors.length > 0 && errors.every((m) => m.includes(e.message!)));
  let detail = messageOk ? errors.join("; ") : `expected a message containing "${e.message}"; got: ${errors.join("; ") || "(none)"}`;
  let patchedOk = true;
  if (e.patched !== undefined) {
    const [expected] = flattenManifests(readYamlDocuments(here(e.patched)));
    const got = result.mutation?.object ?? result.target.request.object ?? {};
    // The offline request puts the object in a namespace; an expected object without one is compared without it.
    const comparable = (o: Record<string, unknown>) => {
      const metadata = o["metadata"] as Record<string, unknown> | undefined;
      if ((expected?.["metadata"] as Record<string, unknown> | undefined)?.["namespace"] !== undefined || !metadata) return o;
      const { namespace: _ns, ...rest } = metadata;
      return { ...o, metadata: rest };
    };
    patchedOk = expected !== undefined && isDeepStrictEqual(comparable(got), comparable(expected));
    if (!patchedOk) detail = expected === undefined ? `${e.patched}: no object` : `the object after mutation differs from ${e.patched}; from the file to it: ${JSON.stringify(diffPatch(comparable(expected), comparable(got)))}`;
  }
  return { ...base, actual, ok: actual === e.result && messageOk && patchedOk, ...(detail ? { detail } : {}) };
}

export const suitePassed = (suite: SuiteResult) => suite.error === undefined && suite.cases.every((c) => c.ok);

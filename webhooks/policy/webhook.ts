// The `policy` validating webhook type: library policies, policy files and
// TypeScript modules, evaluated together; every failing policy is reported.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { Decision } from "../../src/admission/handler.ts";
import type { AdmissionRequest, KubeObject } from "../../src/admission/review.ts";
import { defineValidatingWebhook } from "../../src/toolkit/define.ts";
import { ModuleLoader, resolveFrom } from "../../src/toolkit/modules.ts";
import { admissionsOf, evaluateAdmission, judging, located } from "./autogen.ts";
import { decide } from "./decide.ts";
import { PolicyError } from "./declarative.ts";
import { assertUniqueNames, librarySelection, loadLibrary, loadPolicyFiles, loadPolicyModules } from "./load.ts";
import type { Policy, PolicyInput } from "./policy.ts";
import { deadlineMs } from "../../src/admission/run.ts";
import { labelsOf, matchesConstraints } from "./match.ts";
import { PolicySandbox } from "./sandbox.ts";

export const policySettings = z.strictObject({
  /** Built-in policies or sets by name, e.g. pss-baseline or disallow-latest-tag. */
  library: z.array(librarySelection).default([]),
  /** Policy YAML files or directories (their *.yaml files), relative to the config file. */
  files: z.array(z.string().min(1)).default([]),
  /** Modules (TypeScript or JavaScript, relative to the config file) whose default export is a policy made with definePolicy(), or a list of them. */
  modules: z.array(z.string().min(1)).default([]),
});
export type PolicySettings = z.output<typeof policySettings>;

/**
 * Every policy the settings name, compiled, their paths read against baseDir (the config file's directory); throws PolicyError listing every problem.
 * `allowNone`: no policies is not an error (the offline tools, when the files hold only mutating policies).
 */
export function policiesFor(settings: PolicySettings, baseDir = process.cwd(), allowNone = false, modules = new ModuleLoader()): Policy[] {
  const problems: string[] = [];
  const attempt = (load: () => Policy[]): Policy[] => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      problems.push(...error.problems);
      return [];
    }
  };
  const files = settings.files.map((path) => resolveFrom(baseDir, path));
  modules.dependOn(...files);
  const policies = [
    ...attempt(() => loadLibrary(settings.library)),
    ...attempt(() => loadPolicyFiles(files)),
    ...attempt(() => loadPolicyModules(settings.modules.map((path) => resolveFrom(baseDir, path)), modules)),
  ];
  if (problems.length > 0) throw new PolicyError(problems);
  assertUniqueNames(policies);
  if (policies.length === 0 && !allowNone) throw new PolicyError(["no policies: name library policies, files or modules"]);
  return policies;
}

/**
 * The apiserver filters a webhook by one namespaceSelector; unless podgate
 * watches Namespaces, policies with different selectors need separate entries.
 */
export function assertOneNamespaceSelector(policies: readonly Pick<Policy, "name" | "match">[]): void {
  const [first, ...rest] = policies;
  const differing = rest.find((p) => !isDeepStrictEqual(p.match.namespaceSelector ?? {}, first?.match.namespaceSelector ?? {}));
  if (first && differing) {
    throw new PolicyError([
      `policies "${first.name}" and "${differing.name}" have different namespaceSelectors; put them in separate policy webhook entries so the apiserver can select namespaces for each, or set namespaces.watch: true so podgate selects them`,
    ]);
  }
}

/** One decision from every policy's verdict on the request and, for a workload, on its pod template. */
export const policyDecision = (policies: readonly Policy[], request: AdmissionRequest, namespaceObject?: KubeObject | null): Decision =>
  decide(evaluateAdmission(policies, inputOf(request, namespaceObject)));

const inputOf = (request: AdmissionRequest, namespaceObject: KubeObject | null | undefined): PolicyInput => (namespaceObject === undefined ? { request } : { request, namespaceObject });

/**
 * The served decision when the settings name TypeScript modules: their policies run on a worker
 * (sandbox.ts) under a deadline below the webhook's own, so a policy that runs too long gets an error
 * verdict its failurePolicy decides, while the other policies' verdicts still count.
 */
function sandboxedDecision(policies: readonly Policy[], modules: readonly string[], timeoutSeconds: number, signal: AbortSignal): (input: PolicyInput) => Decision | Promise<Decision> {
  const fromModules = policies.filter((p) => modules.includes(p.origin));
  const inProcess = policies.filter((p) => !modules.includes(p.origin));
  const sandbox = new PolicySandbox({ modules, policyCount: fromModules.length, deadlineMs: Math.floor(deadlineMs(timeoutSeconds) * SANDBOX_SHARE) });
  signal.addEventListener("abort", () => sandbox.close(), { once: true });
  return (input) => {
    const outcomes = evaluateAdmission(inProcess, input);
    const namespaceLabels = input.namespaceObject ? labelsOf(input.namespaceObject) : undefined;
    // The worker's round trip is paid only for the admissions (the request, a workload's template) a module policy matches.
    const sandboxed = admissionsOf(input.request).filter((a) => judging(fromModules, a).some((p) => matchesConstraints(p.match, a.request, namespaceLabels)));
    if (sandboxed.length === 0) return decide(outcomes);
    return Promise.all(
      sandboxed.map(async (admission) => {
        const verdicts = await sandbox.evaluate({ ...input, request: admission.request });
        const judges = judging(fromModules, admission);
        const judged = fromModules.map((policy, i) => ({ policy, verdict: verdicts[i]! })).filter(({ policy }) => judges.includes(policy));
        return located(judged, admission);
      }),
    ).then((fromWorker) => decide([...outcomes, ...fromWorker.flat()]));
  };
}

/** The share of the webhook's deadline the worker gets, so its error verdict arrives before the webhook's own deadline. */
const SANDBOX_SHARE = 0.9;

export const policyWebhookType = defineValidatingWebhook({
  type: "policy",
  description: "CEL and TypeScript validation policies (ValidatingAdmissionPolicy semantics) and the built-in library",
  settings: policySettings,
  create(settings, identity) {
    const policies = policiesFor(settings, identity.baseDir, false, identity.modules);
    if (!identity.watchesNamespaces) assertOneNamespaceSelector(policies);
    if (settings.modules.length === 0) return ({ request, namespaceObject }) => policyDecision(policies, request, namespaceObject);
    const decision = sandboxedDecision(policies, settings.modules.map((path) => resolveFrom(identity.baseDir, path)), identity.timeoutSeconds, identity.signal);
    return ({ request, namespaceObject }) => decision(inputOf(request, namespaceObject));
  },
});

// Pod policies on workloads' pod templates, as Kyverno's auto-gen does: a
// Deployment's (Job's...) review is also judged as the Pod its controller would
// create, so the user sees the denial at `kubectl apply`, not later in a
// controller's events. Every finding on a template names the template's path.
import type { AdmissionRequest } from "../../src/admission/review.ts";
import { evaluateAll, type PolicyOutcome } from "./decide.ts";
import type { Policy, PolicyInput, Verdict } from "./policy.ts";
import { templateRequest } from "./workload.ts";

/** One admission a review stands for: the request itself, or a workload's pod template (its path). */
export interface Admission {
  readonly request: AdmissionRequest;
  readonly template?: string;
}

export function admissionsOf(request: AdmissionRequest): Admission[] {
  const template = templateRequest(request);
  return template ? [{ request }, { request: template.request, template: template.path }] : [{ request }];
}

/** The policies that judge an admission: every one on the request itself, those with autogen on a template. */
export const judging = (policies: readonly Policy[], admission: Admission): readonly Policy[] =>
  admission.template === undefined ? policies : policies.filter((p) => p.autogen);

function locatedVerdict(verdict: Verdict, path: string): Verdict {
  if (verdict.result === "fail") return { result: "fail", violations: verdict.violations.map((v) => ({ ...v, message: `${path}: ${v.message}` })) };
  if (verdict.result === "error") return { result: "error", error: `${path}: ${verdict.error}` };
  return verdict;
}

/** Outcomes on a template say where: "spec.template: privileged containers are not allowed". */
export const located = (outcomes: readonly PolicyOutcome[], admission: Admission): PolicyOutcome[] =>
  admission.template === undefined ? [...outcomes] : outcomes.map(({ policy, verdict }) => ({ policy, verdict: locatedVerdict(verdict, admission.template!) }));

/** Every policy's outcome on the request and, for a workload, on its pod template. */
export function evaluateAdmission(policies: readonly Policy[], input: PolicyInput): PolicyOutcome[] {
  return admissionsOf(input.request).flatMap((admission) => located(evaluateAll(judging(policies, admission), { ...input, request: admission.request }), admission));
}

// podgate's own pods, as every overlay renders them, pass the restricted Pod
// Security Standard — judged by podgate's own pss-baseline + pss-restricted
// library policies, evaluated offline as `podgate apply` does. (The
// manifest tests check the same fields by hand, and RBAC has no wildcards.)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { policyTools } from "../../../src/wiring.ts";

const { evaluateManifests, flattenManifests, loadLibrary } = policyTools;

const ROOT = new URL("../../../", import.meta.url).pathname;
const OVERLAYS = ["base", "overlays/kind", "overlays/production", "overlays/production-cert-manager"];
const policies = loadLibrary([{ name: "pss-baseline" }, { name: "pss-restricted" }]);

describe("podgate's pods pass the restricted Pod Security Standard", () => {
  it("loads both PSS sets of the library", () => {
    assert.ok(policies.length >= 15, `only ${policies.length} PSS policies loaded`);
  });
  it("would catch a podgate pod that breaks it (the check can fail)", () => {
    const text = execFileSync("kubectl", ["kustomize", `${ROOT}manifests/base`], { encoding: "utf8" });
    const manifests = flattenManifests(parseAllDocuments(text).map((d) => d.toJS() as unknown));
    const deployment = manifests.find((m) => m["kind"] === "Deployment") as { spec: { template: { spec: { containers: { securityContext?: unknown }[] } } } };
    deployment.spec.template.spec.containers[0]!.securityContext = { privileged: true, allowPrivilegeEscalation: true, runAsNonRoot: false };
    const failed = evaluateManifests(policies, [deployment as never]).flatMap((r) => r.outcomes.filter((o) => o.verdict.result === "fail").map((o) => o.policy.name));
    for (const name of ["pss-baseline-privileged", "pss-restricted-privilege-escalation", "pss-restricted-run-as-non-root"]) assert.ok(failed.includes(name), `${name} did not fail: ${failed.join(", ")}`);
  });
  for (const overlay of OVERLAYS) {
    it(overlay, () => {
      const text = execFileSync("kubectl", ["kustomize", `${ROOT}manifests/${overlay}`], { encoding: "utf8" });
      const manifests = flattenManifests(parseAllDocuments(text).map((d) => d.toJS() as unknown));
      const workloads = evaluateManifests(policies, manifests).filter((r) => ["Deployment", "Job", "Pod"].includes(String(r.target.request.kind.kind)) || r.target.label.includes("spec.template"));
      assert.ok(workloads.length > 0, "no podgate workloads rendered");
      // A workload is judged through its targets (the object and its pod template): no failure on any, a pass on one.
      const verdicts = new Map<string, string[]>();
      for (const { target, outcomes } of workloads) {
        for (const { policy, verdict } of outcomes) {
          const key = `${target.name}: ${policy.name}`;
          verdicts.set(key, [...(verdicts.get(key) ?? []), verdict.result === "fail" ? `fail ${JSON.stringify(verdict.violations)}` : verdict.result]);
        }
      }
      for (const [key, results] of verdicts) {
        assert.ok(results.includes("pass") && results.every((r) => r === "pass" || r === "skip"), `${key}: ${results.join(", ")}`);
      }
    });
  }
});

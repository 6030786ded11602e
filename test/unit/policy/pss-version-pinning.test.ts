// A PSS version pin, as PodSecurity's enforce-version label: `pss-baseline@v1.30`
// or {name, version} holds each policy to the revision of its upstream check
// in force at that version, leaves out checks newer than it, and defaults to latest.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PolicyError } from "../../../webhooks/policy/declarative.ts";
import { loadLibrary } from "../../../webhooks/policy/load.ts";
import { policySettings } from "../../../webhooks/policy/webhook.ts";
import { requestFor } from "../../../webhooks/policy/workload.ts";

const pod = (spec: Record<string, unknown>) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [{ name: "app", image: "nginx" }], ...spec } });
const verdicts = (selection: Parameters<typeof loadLibrary>[0], object: Record<string, unknown>) =>
  Object.fromEntries(loadLibrary(selection).map((p) => [p.name, p.evaluate({ request: requestFor(object) }).result]));
const problems = (load: () => unknown) => {
  try {
    load();
  } catch (error) {
    if (error instanceof PolicyError) return error.problems;
    throw error;
  }
  return assert.fail("no PolicyError");
};

test("a pinned set leaves out the checks newer than its version", () => {
  const names = (version: string) => loadLibrary([{ name: "pss-baseline", version }, { name: `pss-restricted@${version}` }]).map((p) => p.name);
  assert.equal(names("latest").length, 19);
  assert.deepEqual(names("v1.34").filter((n) => !names("v1.30").includes(n)), ["pss-baseline-host-probes"]);
  assert.ok(!names("v1.34").includes("pss-restricted-proc-mount"));
  assert.ok(!names("v1.22").includes("pss-restricted-run-as-user"), "runAsUser starts at v1.23");
  assert.ok(!names("v1.7").includes("pss-restricted-privilege-escalation"), "allowPrivilegeEscalation starts at v1.8");
  assert.deepEqual(names("v1.99"), names("latest"), "a version after the newest check is latest, as upstream");
});

test("each policy takes the revision of its check in force at the version", () => {
  const rmem = pod({ securityContext: { sysctls: [{ name: "net.ipv4.tcp_rmem", value: "4096 87380 16777216" }] } });
  assert.equal(verdicts([{ name: "pss-baseline-sysctls@v1.31" }], rmem)["pss-baseline-sysctls"], "fail");
  assert.equal(verdicts([{ name: "pss-baseline-sysctls", version: "v1.32" }], rmem)["pss-baseline-sysctls"], "pass");
  assert.equal(verdicts([{ name: "pss-baseline-sysctls" }], rmem)["pss-baseline-sysctls"], "pass");
  const userNamespaceRoot = pod({ hostUsers: false, securityContext: { runAsUser: 0 } });
  assert.equal(verdicts([{ name: "pss-restricted@v1.34" }], userNamespaceRoot)["pss-restricted-run-as-user"], "fail");
  assert.equal(verdicts([{ name: "pss-restricted" }], userNamespaceRoot)["pss-restricted-run-as-user"], "pass");
  // Before v1.19 baseline seccomp read the alpha annotations, not the fields.
  const annotated = { ...pod({ securityContext: { seccompProfile: { type: "Unconfined" } } }), metadata: { name: "p", annotations: { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" } } };
  assert.equal(loadLibrary([{ name: "pss-baseline-seccomp@v1.18" }])[0]!.evaluate({ request: requestFor(annotated) }).result, "fail");
  assert.equal(verdicts([{ name: "pss-baseline-seccomp@v1.18" }], pod({ securityContext: { seccompProfile: { type: "Unconfined" } } }))["pss-baseline-seccomp"], "pass");
});

test("a later selection pins an earlier one's policies, down to leaving out a newer check", () => {
  const names = loadLibrary([{ name: "pss-baseline" }, { name: "pss-baseline@v1.30" }]).map((p) => p.name);
  assert.ok(!names.includes("pss-baseline-host-probes"));
  assert.equal(names.length, 11);
});

test("a bad pin names the selection and what is wrong", () => {
  assert.deepEqual(problems(() => loadLibrary([{ name: "pss-baseline@1.30" }])), ['library[0]: "pss-baseline@1.30" is not a PSS version; use name@v1.<minor>, or version: v1.<minor> or latest']);
  assert.deepEqual(problems(() => loadLibrary([{ name: "pss-baseline", version: "v2.0" }])), ['library[0]: "v2.0" is not a PSS version; use name@v1.<minor>, or version: v1.<minor> or latest']);
  assert.deepEqual(problems(() => loadLibrary([{ name: "pss-baseline@v1.2", version: "v1.3" }])), ['library[0]: "pss-baseline@v1.2" and version: v1.3 both pin a version; give one']);
  assert.deepEqual(problems(() => loadLibrary([{ name: "require-labels@v1.30" }])), ['library[0]: "require-labels" has no PSS versions; only the pss-* policies take one']);
  assert.deepEqual(problems(() => loadLibrary([{ name: "pss-baseline-host-probes@v1.30" }])), ['library[0]: "pss-baseline-host-probes" starts at PSS v1.34, after v1.30']);
});

test("the webhook settings (and so the CLI's -l) take both spellings", () => {
  const settings = policySettings.parse({ library: ["pss-baseline@v1.30", { name: "pss-restricted", version: "v1.30" }] });
  assert.deepEqual(settings.library, [{ name: "pss-baseline@v1.30" }, { name: "pss-restricted", version: "v1.30" }]);
  assert.equal(loadLibrary(settings.library).length, 17);
});

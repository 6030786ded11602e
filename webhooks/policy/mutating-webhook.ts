// The `policy` mutating webhook type: MutatingPolicy documents and native
// MutatingAdmissionPolicies (with their bindings and params) from files,
// applied in order to each request's object. A 1.36 cluster can run the same
// policies natively (`podgate export map`); older clusters run them here.
import { z } from "zod";
import { deny } from "../../src/admission/handler.ts";
import { defineMutatingWebhook } from "../../src/toolkit/define.ts";
import { ModuleLoader, resolveFrom } from "../../src/toolkit/modules.ts";
import { PolicyError } from "./declarative.ts";
import { assertUniqueNames, loadMutatingPolicyFiles } from "./load.ts";
import { mutateAll, type MutatingPolicy } from "./mutating.ts";
import { REASON_CODES } from "./schema.ts";
import { assertOneNamespaceSelector } from "./webhook.ts";

export const mutatingPolicySettings = z.strictObject({
  /** Policy YAML files or directories (their *.yaml files), relative to the config file; their mutating policies are served. */
  files: z.array(z.string().min(1)).min(1, "name at least one file or directory of mutating policies"),
});

/** The mutating policies the settings name, compiled; throws PolicyError listing every problem. */
export function mutatingPoliciesFor(settings: z.output<typeof mutatingPolicySettings>, baseDir = process.cwd(), modules = new ModuleLoader()): MutatingPolicy[] {
  const files = settings.files.map((path) => resolveFrom(baseDir, path));
  modules.dependOn(...files);
  const policies = loadMutatingPolicyFiles(files);
  if (policies.length === 0) throw new PolicyError([`no mutating policies (MutatingPolicy, MutatingAdmissionPolicy with a binding) in ${settings.files.join(", ")}`]);
  assertUniqueNames(policies);
  return policies;
}

export const mutatingPolicyWebhookType = defineMutatingWebhook({
  type: "policy",
  description: "CEL mutating policies (MutatingAdmissionPolicy semantics: ApplyConfiguration and JSONPatch)",
  settings: mutatingPolicySettings,
  leavesInputIntact: true,
  create(settings, identity) {
    const policies = mutatingPoliciesFor(settings, identity.baseDir, identity.modules);
    if (!identity.watchesNamespaces) assertOneNamespaceSelector(policies);
    return ({ request, namespaceObject }) => {
      const result = mutateAll(policies, namespaceObject === undefined ? { request } : { request, namespaceObject });
      // As the apiserver denies for a failed Fail policy: 403, reason Invalid.
      if (result.denial !== undefined) return deny(result.denial, REASON_CODES.Forbidden, { reason: "Invalid" });
      return result.object;
    };
  },
});

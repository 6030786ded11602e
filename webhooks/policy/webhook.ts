// The `policy` validating webhook type: library policies, policy files and
// TypeScript modules, evaluated together; every failing policy is reported.
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import type { AdmissionHandler } from "../../src/admission/handler.ts";
import type { WebhookIdentity, WebhookType } from "../../src/config/schema.ts";
import { decide, evaluateAll } from "./decide.ts";
import { PolicyError } from "./declarative.ts";
import { assertUniqueNames, loadLibrary, loadPolicyFiles, loadPolicyModules } from "./load.ts";
import type { Policy } from "./policy.ts";
import { validationActions } from "./schema.ts";

const librarySelection = z.union([
  z.string().min(1).transform((name) => ({ name })),
  z.strictObject({
    name: z.string().min(1),
    validationActions: validationActions.optional(),
    params: z.record(z.string(), z.unknown()).optional(),
  }),
]);

export const policySettings = z.strictObject({
  /** Built-in policies or sets by name, e.g. pss-baseline or disallow-latest-tag. */
  library: z.array(librarySelection).default([]),
  /** Policy YAML files or directories (their *.yaml files), relative to the working directory. */
  files: z.array(z.string().min(1)).default([]),
  /** TypeScript modules whose default export is a policy made with definePolicy(). */
  modules: z.array(z.string().min(1)).default([]),
});
export type PolicySettings = z.output<typeof policySettings>;

/** Every policy the settings name, compiled; throws PolicyError listing every problem. */
export function policiesFor(settings: PolicySettings): Policy[] {
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
  const policies = [
    ...attempt(() => loadLibrary(settings.library)),
    ...attempt(() => loadPolicyFiles(settings.files)),
    ...attempt(() => loadPolicyModules(settings.modules)),
  ];
  if (problems.length > 0) throw new PolicyError(problems);
  assertUniqueNames(policies);
  if (policies.length === 0) throw new PolicyError(["no policies: name library policies, files or modules"]);
  return policies;
}

/**
 * The apiserver filters a webhook by one namespaceSelector; podgate does not
 * watch namespaces, so policies with different selectors need separate entries.
 */
export function assertOneNamespaceSelector(policies: readonly Policy[]): void {
  const [first, ...rest] = policies;
  const differing = rest.find((p) => !isDeepStrictEqual(p.match.namespaceSelector ?? {}, first?.match.namespaceSelector ?? {}));
  if (first && differing) {
    throw new PolicyError([
      `policies "${first.name}" and "${differing.name}" have different namespaceSelectors; put them in separate policy webhook entries so the apiserver can select namespaces for each`,
    ]);
  }
}

export function policyHandler(identity: WebhookIdentity, policies: readonly Policy[]): AdmissionHandler {
  return {
    ...identity,
    kind: "validating",
    handle: (request) => decide(evaluateAll(policies, { request })),
  };
}

export const policyWebhookType: WebhookType<typeof policySettings> = {
  type: "policy",
  kind: "validating",
  description: "CEL and TypeScript validation policies (ValidatingAdmissionPolicy semantics) and the built-in library",
  settings: policySettings,
  create(identity, settings) {
    const policies = policiesFor(settings);
    assertOneNamespaceSelector(policies);
    return policyHandler(identity, policies);
  },
};

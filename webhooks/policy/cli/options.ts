// Options shared by the policy commands (apply, export vap): which policies to load.
import { Option, type Command } from "commander";
import { OUTPUT_FORMATS } from "../results.ts";
import { PolicyError } from "../declarative.ts";
import { loadMutatingPolicyFiles } from "../load.ts";
import type { MutatingPolicy } from "../mutating.ts";
import type { Policy } from "../policy.ts";
import { policiesFor, policySettings } from "../webhook.ts";

export interface PolicyFlags {
  policy?: string[];
  library?: string[];
  module?: string[];
}

export function withPolicyOptions(command: Command): Command {
  return command
    .option("-p, --policy <path...>", "policy YAML files or directories")
    .option("-l, --library <name...>", "built-in policies or sets (pss-baseline, pss-restricted, best-practices)")
    .option("-m, --module <path...>", "TypeScript policy modules (default export: definePolicy(...))");
}

/** -o table (for people, the default) | json | yaml (one document, for scripts). */
export const outputOption = () => new Option("-o, --output <format>", "table for people; json or yaml for scripts (one document with a summary)").choices(OUTPUT_FORMATS).default("table");

/**
 * Loads the named policies: the validating ones and, from --policy files, the mutating ones.
 * A policy problem is a usage error (exit 2) naming policy, field and position.
 */
export function loadPolicies(command: Command, flags: PolicyFlags): { policies: Policy[]; mutating: MutatingPolicy[] } {
  if (!flags.policy?.length && !flags.library?.length && !flags.module?.length) {
    command.error("podgate: name policies with --policy, --library or --module", { exitCode: 2, code: "podgate.usage" });
  }
  return usageErrors(command, () => {
    const mutating = loadMutatingPolicyFiles(flags.policy ?? []);
    const policies = policiesFor(policySettings.parse({ files: flags.policy ?? [], library: flags.library ?? [], modules: flags.module ?? [] }), process.cwd(), mutating.length > 0);
    return { policies, mutating };
  });
}

/** Runs `load`, turning a PolicyError into a usage error with every problem listed. */
export function usageErrors<T>(command: Command, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof PolicyError) command.error(`podgate: ${error.problems.join("\n  ")}`, { exitCode: 2, code: "podgate.usage" });
    throw error;
  }
}

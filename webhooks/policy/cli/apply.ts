// podgate apply: evaluates policies against manifests offline and prints verdicts.
import { readFile } from "node:fs/promises";
import { text } from "node:stream/consumers";
import { Command, Option } from "commander";
import { readYamlDocuments, yamlFiles } from "../load.ts";
import { decisionOf, evaluateManifests, flattenManifests, unknownNamespacesNote } from "../offline.ts";
import { progressLine } from "../../../src/cli/progress.ts";
import { renderApply, type OutputFormat } from "../results.ts";
import { loadPolicies, outputOption, usageErrors, withPolicyOptions, type PolicyFlags } from "./options.ts";

async function readManifests(command: Command, paths: readonly string[]) {
  const documents: unknown[] = [];
  for (const path of paths) {
    if (path === "-") {
      const stdin = await text(process.stdin);
      documents.push(...usageErrors(command, () => readYamlDocuments("(stdin)", stdin)));
      continue;
    }
    const files = usageErrors(command, () => yamlFiles(path));
    for (const file of files) {
      const source = await readFile(file, "utf8");
      documents.push(...usageErrors(command, () => readYamlDocuments(file, source)));
    }
  }
  return flattenManifests(documents);
}

export function applyCommand(): Command {
  const command = withPolicyOptions(new Command("apply").description("Evaluate policies against manifests: mutating policies first (showing each object's patch), then validating ones; workloads are also judged through their pod templates"))
    .requiredOption("-f, --filename <path...>", "manifest files, directories (their *.yaml) or - for stdin")
    .addOption(new Option("--operation <op>", "the admission operation to evaluate").choices(["CREATE", "UPDATE", "DELETE"]).default("CREATE"))
    .addOption(outputOption())
    .addHelpText(
      "after",
      "\nExamples:\n  podgate apply -l pss-baseline -f deploy.yaml\n  kubectl get pods -A -o yaml | podgate apply -p policies/ -f -\n  podgate apply -l pss-restricted -f manifests/ -o json | jq '.summary'\n\nExit status 1 when any object would be denied.\n",
    )
    .action(async (flags: PolicyFlags & { filename: string[]; operation: "CREATE" | "UPDATE" | "DELETE"; output: OutputFormat }) => {
      const { policies, mutating } = loadPolicies(command, flags);
      const manifests = await readManifests(command, flags.filename);
      const progress = progressLine("podgate apply: evaluated");
      const results = evaluateManifests(policies, manifests, { operation: flags.operation, onProgress: progress.tick, mutating });
      progress.end();
      process.stdout.write(`${renderApply(flags.output, results)}\n`);
      const note = unknownNamespacesNote(policies, results);
      if (note) process.stderr.write(`${note}\n`);
      if (results.some((r) => !decisionOf(r).allowed)) process.exitCode = 1;
    });
  return command;
}

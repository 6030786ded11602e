// podgate export map: mutating policies as native MutatingAdmissionPolicy + Binding objects.
import { Command } from "commander";
import { yamlStream } from "../../../src/cli/output.ts";
import { exportMap } from "../export-map.ts";
import { mutatingPoliciesFor } from "../mutating-webhook.ts";
import { usageErrors } from "./options.ts";

export function mapCommand(): Command {
  const command = new Command("map")
    .description("Emit MutatingAdmissionPolicy + Binding objects (admissionregistration.k8s.io/v1, Kubernetes 1.36+) for mutating policies")
    .requiredOption("-p, --policy <path...>", "policy YAML files or directories (their MutatingPolicy documents, or native MutatingAdmissionPolicies)")
    .addHelpText("after", "\nExamples:\n  podgate export map -p policies/ > maps.yaml\n  podgate export map -p policies/ | kubectl apply -f -\n")
    .action((flags: { policy: string[] }) => {
      const { objects, skipped } = exportMap(usageErrors(command, () => mutatingPoliciesFor({ files: flags.policy })));
      for (const s of skipped) process.stderr.write(`podgate: skipped policy ${s.policy}: ${s.reason}\n`);
      if (objects.length > 0) process.stdout.write(yamlStream(objects));
    });
  return command;
}

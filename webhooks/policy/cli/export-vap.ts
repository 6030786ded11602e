// podgate export vap: declarative policies as native ValidatingAdmissionPolicy + Binding objects.
import { Command } from "commander";
import { yamlStream } from "../../../src/cli/output.ts";
import { exportVap } from "../export.ts";
import { loadPolicies, withPolicyOptions, type PolicyFlags } from "./options.ts";

export function vapCommand(): Command {
  const command = withPolicyOptions(new Command("vap").description("Emit ValidatingAdmissionPolicy + Binding objects (admissionregistration.k8s.io/v1) for declarative policies"))
    .option("--separate", "one ValidatingAdmissionPolicy per policy (default: policies on the same requests share one, which costs the apiserver far less per request)")
    .addHelpText("after", "\nExamples:\n  podgate export vap -l pss-baseline > pss-baseline-vap.yaml\n  podgate export vap -p policies/ | kubectl apply -f -\n")
    .action((flags: PolicyFlags & { separate?: boolean }) => {
      const { objects, skipped } = exportVap(loadPolicies(command, flags).policies, { separate: flags.separate === true });
      for (const s of skipped) process.stderr.write(`podgate: skipped policy ${s.policy}: ${s.reason}\n`);
      if (objects.length > 0) process.stdout.write(yamlStream(objects));
    });
  return command;
}

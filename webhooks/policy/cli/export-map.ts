// podgate export map: mutating policies, and the config's sidecar templates, as
// native MutatingAdmissionPolicy + Binding objects.
import { Command } from "commander";
import { yamlStream } from "../../../src/cli/output.ts";
import { loadConfig } from "../../../src/config/default.ts";
import { registry } from "../../../src/wiring.ts";
import { sidecarMap } from "../../sidecar/export-map.ts";
import { sidecarSettings } from "../../sidecar/settings.ts";
import { exportMap } from "../export-map.ts";
import { mutatingPoliciesFor } from "../mutating-webhook.ts";
import { usageErrors } from "./options.ts";

export function mapCommand(): Command {
  const command = new Command("map")
    .description("Emit MutatingAdmissionPolicy + Binding objects (admissionregistration.k8s.io/v1, Kubernetes 1.36+) for mutating policies and for the config's sidecar templates")
    .option("-p, --policy <path...>", "policy YAML files or directories (their MutatingPolicy documents, or native MutatingAdmissionPolicies)")
    .option("-c, --config <file>", "a podgate config: each template of its sidecar webhooks becomes a policy that injects it")
    .addHelpText(
      "after",
      "\nExamples:\n  podgate export map -p policies/ > maps.yaml\n  podgate export map -c podgate.yaml | kubectl apply -f -   # inject sidecars with no webhook\n\nWhat a policy cannot do natively is said on stderr; those pods are left alone by it.\n",
    )
    .action(async (flags: { policy?: string[]; config?: string }) => {
      if (!flags.policy?.length && flags.config === undefined) command.error("podgate: give --policy or --config", { exitCode: 2, code: "podgate.usage" });
      const objects: Record<string, unknown>[] = [];
      if (flags.policy?.length) {
        const exported = exportMap(usageErrors(command, () => mutatingPoliciesFor({ files: flags.policy! })));
        for (const s of exported.skipped) process.stderr.write(`podgate: skipped policy ${s.policy}: ${s.reason}\n`);
        objects.push(...exported.objects);
      }
      if (flags.config !== undefined) {
        const config = await loadConfig({ path: flags.config }, registry);
        const sidecars = config.entries.mutating.filter((e) => e.type === "sidecar" && e.enabled);
        if (sidecars.length === 0) command.error(`podgate: ${flags.config} has no enabled sidecar webhook`, { exitCode: 2, code: "podgate.usage" });
        for (const entry of sidecars) {
          const settings = sidecarSettings.parse(entry.settings);
          for (const name of Object.keys(settings.templates)) {
            const result = sidecarMap(entry.name, settings, name);
            for (const note of result.notes) process.stderr.write(`podgate: ${note}\n`);
            objects.push(...result.objects);
          }
        }
      }
      if (objects.length > 0) process.stdout.write(yamlStream(objects));
    });
  return command;
}

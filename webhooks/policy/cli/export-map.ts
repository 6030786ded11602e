// podgate export map: mutating policies, and the config's sidecar templates, as
// native MutatingAdmissionPolicy + Binding objects.
import { Command } from "commander";
import { yamlStream } from "../../../src/cli/output.ts";
import { loadConfig } from "../../../src/config/default.ts";
import type { ConfigRegistry } from "../../../src/config/load.ts";
import { defaultsMap } from "../../defaults/export-map.ts";
import { defaultsSettings } from "../../defaults/settings.ts";
import { sidecarMap } from "../../sidecar/export-map.ts";
import { sidecarSettings } from "../../sidecar/settings.ts";
import { exportMap } from "../export-map.ts";
import { mutatingPoliciesFor } from "../mutating-webhook.ts";
import { usageErrors } from "./options.ts";

export function mapCommand(registry: ConfigRegistry): Command {
  const command = new Command("map")
    .description("Emit MutatingAdmissionPolicy + Binding objects (admissionregistration.k8s.io/v1, Kubernetes 1.36+) for mutating policies, and for the config's sidecar templates and defaults")
    .option("-p, --policy <path...>", "policy YAML files or directories (their MutatingPolicy documents, or native MutatingAdmissionPolicies)")
    .option("-c, --config <file>", "a podgate config: each template of its sidecar webhooks, and each defaults webhook, becomes a policy that does what it does")
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
        const entries = config.entries.mutating.filter((e) => (e.type === "sidecar" || e.type === "defaults") && e.enabled);
        if (entries.length === 0) command.error(`podgate: ${flags.config} has no enabled sidecar or defaults webhook`, { exitCode: 2, code: "podgate.usage" });
        const results =
          entries.flatMap((entry) => {
            if (entry.type === "defaults") return [defaultsMap(entry.name, defaultsSettings.parse(entry.settings ?? {}))];
            const settings = sidecarSettings.parse(entry.settings);
            return Object.keys(settings.templates).map((name) => sidecarMap(entry.name, settings, name));
          });
        for (const result of results) {
          for (const note of result.notes) process.stderr.write(`podgate: ${note}\n`);
          objects.push(...result.objects);
        }
      }
      if (objects.length > 0) process.stdout.write(yamlStream(objects));
    });
  return command;
}

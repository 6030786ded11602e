// podgate export: Kubernetes objects for a podgate config — the webhook
// configurations that route requests to it. Definitions add their own
// subcommands (the policy webhook's `export vap`) through the registry.
import { readFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import { policyTools, registry } from "../wiring.ts";
import { loadConfig } from "../config/default.ts";
import { yamlStream } from "./output.ts";

function service(value: string): { namespace: string; name: string } {
  const [namespace, name, ...rest] = value.split("/");
  if (!namespace || !name || rest.length > 0) throw new InvalidArgumentError("expected <namespace>/<name>");
  return { namespace, name };
}

/** The apiserver calls webhooks over HTTPS only, and refuses a URL with a query, fragment or user info. */
function httpsUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`not a URL; expected https://<host>[:port][/path]`);
  }
  if (url.protocol !== "https:") throw new InvalidArgumentError(`the apiserver calls webhooks over HTTPS only (${url.protocol.replace(":", "")} given); expected https://<host>[:port][/path]`);
  if (url.search || url.hash || url.username || url.password) throw new InvalidArgumentError("the apiserver refuses a webhook URL with a query, fragment or user info");
  return value;
}

function webhooksCommand(): Command {
  const command = new Command("webhooks")
    .description(
      "Emit the MutatingWebhookConfiguration for the config's built-in and mutating policy webhooks and the ValidatingWebhookConfiguration for its policy webhooks (rules and selectors compiled from the policies' matchConstraints)",
    )
    .option("-c, --config <file>", "config file (YAML); the embedded default when omitted")
    .option("--url <url>", "podgate's base URL, https only, e.g. https://127.0.0.1:8443", httpsUrl)
    .option("--service <namespace/name>", "podgate's Service (port 443)", service)
    .option("--ca-bundle-file <file>", "PEM of the CA that signed podgate's serving certificate")
    .option("--name <name>", "the ValidatingWebhookConfiguration's metadata.name", "podgate-policies")
    .option("--mutating-name <name>", "the MutatingWebhookConfiguration's metadata.name", "podgate")
    .addHelpText("after", "\nExamples:\n  podgate export webhooks --service podgate/podgate --ca-bundle-file ca.crt\n  podgate export webhooks -c podgate.yaml --url https://127.0.0.1:8443 --ca-bundle-file .podgate/tls/ca.crt\n")
    .action(async (flags: { config?: string; url?: string; service?: { namespace: string; name: string }; caBundleFile?: string; name: string; mutatingName: string }) => {
      if ((flags.url === undefined) === (flags.service === undefined)) command.error("podgate: give exactly one of --url and --service", { exitCode: 2, code: "podgate.usage" });
      const config = await loadConfig(flags.config ? { path: flags.config } : {}, registry);
      const entries = config.entries.validating
        .filter((e) => e.type === "policy" && e.enabled)
        .map((entry) => ({ entry, policies: policyTools.usageErrors(command, () => policyTools.policiesFor(policyTools.policySettings.parse(entry.settings ?? {}), config.baseDir)) }));
      const caBundle = flags.caBundleFile ? Buffer.from(await readFile(flags.caBundleFile)).toString("base64") : undefined;
      const options = {
        target: flags.url ? { url: flags.url } : { service: flags.service! },
        ...(caBundle ? { caBundle } : {}),
        excludeNamespaces: [...new Set(["kube-system", ...(flags.service ? [flags.service.namespace] : [])])],
      };
      // A mutating policy webhook is routed by its policies' rules.
      const routeOf = (entry: (typeof config.entries.mutating)[number]) =>
        entry.type === "policy" ? policyTools.mutatingPolicyRoute(policyTools.usageErrors(command, () => policyTools.mutatingPoliciesFor(policyTools.mutatingPolicySettings.parse(entry.settings ?? {}), config.baseDir))) : undefined;
      const mutating = policyTools.mutatingWebhookConfiguration(config.entries.mutating, { ...options, configurationName: flags.mutatingName }, routeOf);
      for (const name of mutating.skipped) process.stderr.write(`podgate: skipped mutating webhook ${name}: a module's webhook declares no resources to route; give its entry rules: in the config, or write its entry by hand\n`);
      if (entries.length === 0 && !mutating.configuration) command.error("podgate: the config enables no built-in mutating webhook and no policy webhook", { exitCode: 2, code: "podgate.usage" });
      const objects = [
        ...(mutating.configuration ? [mutating.configuration] : []),
        ...(entries.length > 0 ? [policyTools.webhookConfiguration(entries, { ...options, configurationName: flags.name })] : []),
      ];
      process.stdout.write(yamlStream(objects));
    });
  return command;
}

export function exportCommand(): Command {
  return new Command("export").description("Export policies and webhook configurations as Kubernetes objects").addCommand(webhooksCommand());
}

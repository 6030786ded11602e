// podgate scheduler-config: prints the KubeSchedulerConfiguration whose
// `extenders:` entry points kube-scheduler at this podgate's extender.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { stringify } from "yaml";
import { extenderConfigOf, podgateSchedulerConfig, registry } from "../wiring.ts";
import { loadConfig } from "../config/default.ts";
import { ConfigError, readConfigFile } from "../config/load.ts";

export function schedulerConfigCommand(): Command {
  return new Command("scheduler-config")
    .description("Print a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) with podgate's extenders: entry")
    .option("-c, --config <file>", "podgate config file (YAML); the embedded default when omitted")
    .option("--url <url>", "URL of the extender as kube-scheduler reaches it (default https://<server.host>:<server.port><extender.urlPrefix>)")
    .option("--ca-file <path>", "CA file on the scheduler's host (tlsConfig.caFile); default: inline <tlsDir>/ca.crt as tlsConfig.caData")
    .option("--kubeconfig <path>", "kubeconfig of the scheduler itself (clientConnection.kubeconfig)")
    .option("--profile-name <name>", "configure a second scheduler with this schedulerName instead of the default scheduler")
    .option("--merge <file>", "an existing KubeSchedulerConfiguration to add podgate's extender to (validated together)")
    .addHelpText("after", "\nExamples:\n  podgate scheduler-config > scheduler.yaml\n  podgate scheduler-config --url https://10.0.0.5:8443/extender --ca-file /etc/podgate/ca.crt --profile-name podgate\n")
    .action(async (flags: Record<string, string | undefined>) => {
      const config = await loadConfig(flags["config"] ? { path: flags["config"] } : {}, registry);
      const source = flags["config"] ?? "(embedded default config)";
      const section = extenderConfigOf(config);
      if (!section.enabled) throw new ConfigError(source, ["extender.enabled: the extender is disabled; there is no scheduler config to print"]);
      const host = config.server.host === "0.0.0.0" || config.server.host === "::" ? "127.0.0.1" : config.server.host;
      const url = flags["url"] ?? `https://${host.includes(":") ? `[${host}]` : host}:${config.server.port}${section.urlPrefix}`;
      const caPath = join(config.server.tlsDir, "ca.crt");
      const caPem = !flags["caFile"] && existsSync(caPath) ? readFileSync(caPath, "utf8") : undefined;
      const result = podgateSchedulerConfig(section, {
        url,
        caPem,
        caFile: flags["caFile"],
        profileName: flags["profileName"],
        kubeconfig: flags["kubeconfig"],
        base: flags["merge"] ? await readConfigFile(flags["merge"]) : undefined,
      });
      if (!result.ok) throw new ConfigError(flags["merge"] ?? source, result.problems);
      if (url.startsWith("https:") && !flags["caFile"] && !caPem) {
        process.stderr.write(`podgate: warning: no CA at ${caPath} and no --ca-file: kube-scheduler will not verify podgate's certificate\n`);
      }
      process.stdout.write(stringify(result.config));
    });
}

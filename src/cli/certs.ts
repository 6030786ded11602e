// podgate certs bootstrap | generate: the same reconciliation the running
// server does, run once from the command line against a Secret or a directory.
import { writeFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { checkValidity, policyFor, secretMode, validityShape } from "../certs/config.ts";
import { DirectoryStore } from "../certs/directory.ts";
import { certificateHost, serviceHosts } from "../certs/hosts.ts";
import type { ReconcileOptions, ReconcileResult } from "../certs/reconcile.ts";
import { ConfigError } from "../config/load.ts";
import { describeIssue } from "../issues.ts";

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number of days, at least 1");
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];

/** Validates flags with a config schema; problems name the flag, not the config key. */
function parseFlags<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  throw new ConfigError("(command-line flags)", result.error.issues.map((issue) => {
    const [key] = issue.path;
    return typeof key === "string" ? `${flag(key)}: ${issue.message}` : describeIssue(issue).message;
  }));
}

function validityOptions(command: Command): Command {
  return command
    .option("--ca-validity-days <days>", "lifetime of a new CA", days, 3650)
    .option("--serving-validity-days <days>", "lifetime of a new serving certificate", days, 365)
    .option("--renew-before-days <days>", "renew the serving certificate this long before it expires", days, 30);
}

function report(result: ReconcileResult, dryRun: boolean, out: NodeJS.WritableStream = process.stdout): void {
  if (result.changes.length === 0) out.write("nothing to change: the certificates and caBundles are already right\n");
  for (const change of result.changes) out.write(`${dryRun ? "would change" : "changed"}: ${change}\n`);
  for (const note of result.notes) out.write(`note: ${note}\n`);
}

async function run(options: ReconcileOptions, caOut: string | undefined): Promise<ReconcileResult> {
  // Imported here so `podgate serve` does not load node-forge (~10 MB of RSS) through this command.
  const { reconcile } = await import("../certs/reconcile.ts");
  const result = await reconcile(options);
  report(result, options.dryRun === true);
  if (caOut && !options.dryRun) await writeFile(caOut, result.bundle);
  return result;
}

function bootstrapCommand(): Command {
  return validityOptions(
    new Command("bootstrap")
      .description("Create or reuse podgate's CA and serving certificate in a Secret, and patch caBundle into its webhook configurations (safe to run again)")
      .option("-n, --namespace <name>", "podgate's namespace", "podgate")
      .option("--service <name>", "the Service the apiserver and scheduler call", "podgate")
      .option("--secret <name>", "the Secret holding the certificates (mounted as the server's tlsDir)", "podgate-tls")
      .option("--mutating-webhook-config <name>", "MutatingWebhookConfiguration to patch (\"\" for none)", "podgate")
      .option("--validating-webhook-config <name>", "ValidatingWebhookConfiguration to patch (\"\" for none)", "podgate")
      .option("--extra-host <names>", "more names for the serving certificate (repeatable, comma-separated)", collect, [] as string[])
      .option("--kubeconfig <file>", "kubeconfig; in-cluster credentials or the default kubeconfig when omitted")
      .option("--ca-out <file>", "also write the CA bundle there (for the scheduler's tlsConfig.caFile)")
      .option("--dry-run", "print what would change and change nothing"),
  )
    .addHelpText("after", "\nExamples:\n  podgate certs bootstrap\n  podgate certs bootstrap --namespace podgate --dry-run\n")
    .action(async (flags: Record<string, unknown>) => {
      const settings = parseFlags(secretMode, {
        mode: "secret",
        namespace: flags["namespace"],
        service: flags["service"],
        secret: flags["secret"],
        mutatingWebhookConfiguration: flags["mutatingWebhookConfig"],
        validatingWebhookConfiguration: flags["validatingWebhookConfig"],
        extraHosts: flags["extraHost"],
        caValidityDays: flags["caValidityDays"],
        servingValidityDays: flags["servingValidityDays"],
        renewBeforeDays: flags["renewBeforeDays"],
      });
      // Imported here so every other command (serve above all) runs without the Kubernetes client's ~85 MB.
      const [{ loadKubeConfig }, { SecretStore }, { WebhookTrustTargets }] = await Promise.all([import("../kube/client.ts"), import("../kube/secrets.ts"), import("../kube/webhooks.ts")]);
      const kubeConfig = loadKubeConfig(typeof flags["kubeconfig"] === "string" ? flags["kubeconfig"] : undefined);
      const dryRun = flags["dryRun"] === true;
      const result = await run(
        {
          store: new SecretStore(kubeConfig, settings.namespace, settings.secret),
          targets: new WebhookTrustTargets(kubeConfig, {
            ...(settings.mutatingWebhookConfiguration ? { mutating: settings.mutatingWebhookConfiguration } : {}),
            ...(settings.validatingWebhookConfiguration ? { validating: settings.validatingWebhookConfiguration } : {}),
          }),
          policy: policyFor(settings),
          dryRun,
        },
        typeof flags["caOut"] === "string" ? flags["caOut"] : undefined,
      );
      if (!dryRun) {
        process.stdout.write(`\nscheduler extender tlsConfig (KubeSchedulerConfiguration extenders[].tlsConfig):\n  caData: ${Buffer.from(result.bundle).toString("base64")}\n`);
      }
    });
}

const generateFlags = z
  .strictObject({ out: z.string().min(1), hosts: z.array(certificateHost).min(1, "name at least one host"), ...validityShape })
  .superRefine(checkValidity);

function generateCommand(): Command {
  return validityOptions(
    new Command("generate")
      .description("Create or reuse a CA and serving certificate as files (ca.crt, ca.key, ca-bundle.crt, tls.crt, tls.key)")
      .requiredOption("--out <dir>", "directory to write (created if missing)")
      .option("--hosts <names>", "DNS names and IPs the certificate covers (repeatable, comma-separated)", collect, [] as string[])
      .option("--service <name>", "add the four in-cluster DNS names of this Service (needs --namespace)")
      .option("-n, --namespace <name>", "the Service's namespace", "podgate")
      .option("--dry-run", "print what would change and change nothing"),
  )
    .addHelpText("after", "\nExamples:\n  podgate certs generate --out ./certs --hosts localhost,127.0.0.1\n  podgate certs generate --out ./certs --service podgate --namespace podgate\n")
    .action(async (flags: Record<string, unknown>) => {
      const service = typeof flags["service"] === "string" ? flags["service"] : undefined;
      const hosts = flags["hosts"] as string[];
      const parsed = parseFlags(generateFlags, {
        out: flags["out"],
        hosts: service ? [...serviceHosts(service, String(flags["namespace"])), ...hosts] : hosts,
        caValidityDays: flags["caValidityDays"],
        servingValidityDays: flags["servingValidityDays"],
        renewBeforeDays: flags["renewBeforeDays"],
      });
      const policy = { ...parsed, hosts: [...new Set(parsed.hosts)] };
      await run({ store: new DirectoryStore(parsed.out), policy, dryRun: flags["dryRun"] === true }, undefined);
    });
}

export function certsCommand(): Command {
  return new Command("certs").description("Manage podgate's CA and serving certificates").addCommand(bootstrapCommand()).addCommand(generateCommand());
}

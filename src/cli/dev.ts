// podgate dev: the inner loop of a user's project, as `pepr dev` is. It serves
// the config in a child `podgate serve` (modules are cached once loaded, so a
// change needs a fresh process), restarts it when the config or anything
// beside it changes, and — given a kubeconfig — registers webhook
// configurations pointing at itself, removed again on exit.
import { spawn, type ChildProcess } from "node:child_process";
import { watch } from "node:fs";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { dirname, resolve } from "node:path";
import type { V1MutatingWebhook, V1ValidatingWebhook } from "@kubernetes/client-node";
import { Command, InvalidArgumentError } from "commander";
import { policyTools, registry } from "../wiring.ts";
import { loadConfig } from "../config/default.ts";
import type { LoadedConfig } from "../config/load.ts";
import type { WebhookEntry } from "../config/schema.ts";
import { packagePath } from "../package-root.ts";

const BIN = packagePath("bin/podgate.js");
/** Editors write a file in several steps; one restart for the lot. */
const DEBOUNCE_MS = 300;
const IGNORED = /(^|\/)(node_modules|\.podgate|\.git)(\/|$)/;
const SYSTEM_NAMESPACES = ["kube-system", "kube-node-lease"];

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError("expected a port number 1..65535");
  return n;
}

const excluded = { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: SYSTEM_NAMESPACES }] };

/** A validating webhook calling podgate at `url`, for its `rules:` or pods; the policy webhook's rules come from its policies instead. */
function validatingPodWebhook(entry: WebhookEntry, url: string, caBundle: string) {
  return {
    ...policyTools.webhookEntryBasics(entry, `${entry.name}.dev.podgate.io`),
    clientConfig: { url: `${url}/validate/${entry.name}`, caBundle },
    rules: entry.rules ?? [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"], scope: "Namespaced" }],
    namespaceSelector: excluded,
  };
}

/**
 * The two configurations for the loaded config's enabled webhooks, named `name`, routed as
 * `podgate export webhooks` routes them (mutating entries on the same requests share one call;
 * an entry's `rules:` win). A module's webhook without `rules:` gets pod creates here, so a
 * new one is called at once; the export asks for its rules instead.
 */
export function devConfigurations(config: LoadedConfig, options: { name: string; url: string; caBundle: string }) {
  const target = { target: { url: options.url }, caBundle: options.caBundle, excludeNamespaces: SYSTEM_NAMESPACES, configurationName: options.name };
  const routeOf = (entry: WebhookEntry) =>
    entry.type === "policy"
      ? policyTools.mutatingPolicyRoute(policyTools.mutatingPoliciesFor(policyTools.mutatingPolicySettings.parse(entry.settings ?? {}), config.baseDir))
      : { rules: policyTools.POD_CREATE_RULES };
  // The export writes plain objects (as YAML does); client-node's type is what the API call takes.
  const exported = policyTools.mutatingWebhookConfiguration(config.entries.mutating, target, routeOf).configuration as { webhooks: V1MutatingWebhook[] } | undefined;
  const policyEntries = config.entries.validating.filter((e) => e.enabled && e.type === "policy");
  const policies = policyEntries.map((entry) => ({ entry, policies: policyTools.policiesFor(policyTools.policySettings.parse(entry.settings ?? {}), config.baseDir) }));
  const compiled = policyTools.webhookConfiguration(policies, target) as { webhooks: V1ValidatingWebhook[] };
  const others = config.entries.validating.filter((e) => e.enabled && e.type !== "policy").map((e) => validatingPodWebhook(e, options.url, options.caBundle));
  const metadata = { name: options.name, labels: { "app.kubernetes.io/managed-by": "podgate-dev" } };
  return {
    mutating: { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", metadata, webhooks: exported?.webhooks ?? [] },
    validating: { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata, webhooks: [...compiled.webhooks, ...others] },
  };
}

/** Resolves once podgate answers /readyz with 200 over its own CA. */
async function ready(url: string, caFile: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`podgate serve exited with code ${child.exitCode}`);
    const status = await readFile(caFile, "utf8").then(
      (ca) =>
        new Promise<number>((done) => {
          const req = request(`${url}/readyz`, { ca, timeout: 1000 }, (res) => {
            res.resume();
            done(res.statusCode ?? 0);
          });
          req.on("error", () => done(0));
          req.end();
        }),
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function devCommand(): Command {
  return new Command("dev")
    .description("Serve a project's config, restart on every change beside it, and register its webhooks with a cluster while running")
    .option("-c, --config <file>", "config file (YAML)", "podgate.yaml")
    .option("--kubeconfig <file>", "register webhook configurations with this cluster (default: $KUBECONFIG; none: serve only)")
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "HTTPS port", port, 8443)
    .option("--url <url>", "the URL the apiserver reaches podgate at (default https://<host>:<port>)")
    .option("--name <name>", "name of the registered webhook configurations", "podgate-dev")
    .addHelpText("after", "\nExamples:\n  podgate dev\n  KUBECONFIG=~/.kube/kind podgate dev -c podgate.yaml --host 0.0.0.0 --url https://host.docker.internal:8443\n")
    .action(async (flags: { config: string; kubeconfig?: string; host: string; port: number; url?: string; name: string }) => {
      const configPath = resolve(flags.config);
      const dir = dirname(configPath);
      const url = (flags.url ?? `https://${flags.host.includes(":") ? `[${flags.host}]` : flags.host}:${flags.port}`).replace(/\/+$/, "");
      const kubeconfig = flags.kubeconfig ?? process.env["KUBECONFIG"];
      // Imported only here: the Kubernetes client costs ~85 MB of RSS, which `podgate serve` never pays for webhooks alone.
      const api = kubeconfig
        ? (await import("../kube/client.ts")).loadKubeConfig(kubeconfig).makeApiClient((await import("@kubernetes/client-node")).AdmissionregistrationV1Api)
        : undefined;
      const say = (line: string) => process.stderr.write(`podgate dev: ${line}\n`);

      const unregister = async () => {
        if (!api) return;
        await api.deleteMutatingWebhookConfiguration({ name: flags.name }).catch(() => undefined);
        await api.deleteValidatingWebhookConfiguration({ name: flags.name }).catch(() => undefined);
      };
      const register = async (config: LoadedConfig) => {
        if (!api) return;
        const caBundle = (await readFile(resolve(dir, config.server.tlsDir, "ca.crt"))).toString("base64");
        const { mutating, validating } = devConfigurations(config, { name: flags.name, url, caBundle });
        await unregister();
        if (mutating.webhooks.length > 0) await api.createMutatingWebhookConfiguration({ body: mutating });
        if (validating.webhooks.length > 0) await api.createValidatingWebhookConfiguration({ body: validating });
        say(`registered ${mutating.webhooks.length} mutating and ${validating.webhooks.length} validating webhooks as ${flags.name}, calling ${url}`);
      };

      let child: ChildProcess | undefined;
      let stopping = false;
      /** The project as it is now, or undefined (reported) when an edit broke it. */
      const check = async (): Promise<LoadedConfig | undefined> => {
        try {
          return await loadConfig({ path: configPath, serverOverrides: { host: flags.host, port: flags.port } }, registry);
        } catch (error) {
          say(`${(error as Error).message}\n  (the last good version keeps serving; waiting for the next change)`);
          return undefined;
        }
      };
      const start = async (config: LoadedConfig) => {
        const serve = spawn(process.execPath, [BIN, "serve", "--config", configPath, "--host", flags.host, "--port", String(flags.port), "--no-metrics"], { cwd: dir, stdio: "inherit" });
        child = serve;
        try {
          await ready(`https://${flags.host.includes(":") ? `[${flags.host}]` : flags.host}:${flags.port}`, resolve(dir, config.server.tlsDir, "ca.crt"), serve);
          await register(config);
        } catch (error) {
          if (!stopping) say((error as Error).message);
        }
      };
      const stopChild = async () => {
        const running = child;
        child = undefined;
        if (!running || running.exitCode !== null) return;
        const exited = new Promise((r) => running.once("exit", r));
        running.kill("SIGTERM");
        await exited;
      };

      let timer: NodeJS.Timeout | undefined;
      let restarting = Promise.resolve();
      const watcher = watch(dir, { recursive: true }, (_event, file) => {
        if (file && IGNORED.test(file)) return;
        clearTimeout(timer);
        timer = setTimeout(() => {
          restarting = restarting.then(async () => {
            // Checked before the running server stops, so a broken edit never leaves the cluster calling nothing.
            const config = await check();
            if (!config) return;
            say(`${file ?? "a file"} changed: restarting`);
            await stopChild();
            await start(config);
          });
        }, DEBOUNCE_MS);
      });

      const stop = async (signal: string) => {
        stopping = true;
        say(`${signal}: removing the webhook configurations and stopping`);
        watcher.close();
        clearTimeout(timer);
        await unregister();
        await stopChild();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
      if (!api) say("no kubeconfig (--kubeconfig or $KUBECONFIG): serving only, nothing registered");
      const config = await check();
      if (config) await start(config);
    });
}

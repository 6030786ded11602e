// podgate serve: the HTTPS admission (and extender) server.
import { Command, InvalidArgumentError, Option } from "commander";
import { registry } from "../wiring.ts";
import { withCertificatesMode, type CertificatesSettings } from "../certs/config.ts";
import { loadConfig } from "../config/default.ts";
import { serveReloading } from "../toolkit/podgate.ts";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("expected a port number 0..65535");
  return n;
}

export function serveCommand(): Command {
  return new Command("serve")
    .description("Serve the admission webhooks (and the scheduler extender) over HTTPS")
    .option("-c, --config <file>", "config file (YAML); the embedded default when omitted")
    .option("--tls-dir <dir>", "directory with tls.crt and tls.key; a local CA and certificate are generated there if absent")
    .option("--host <address>", "address to listen on (default 127.0.0.1)")
    .option("--port <port>", "HTTPS port (default 8443; 0 picks a free one)", port)
    .option("--client-ca <file>", "require client certificates signed by this CA on webhook and extender routes")
    .option("--metrics-host <address>", "address of the plain-HTTP /metrics listener (default 127.0.0.1)")
    .option("--metrics-port <port>", "port of the /metrics listener (default 9090; 0 picks a free one)", port)
    .option("--no-metrics", "do not serve /metrics")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent")
    .addOption(new Option("--certificates <mode>", "override certificates.mode: local, files (cert-manager) or secret").choices(["local", "files", "secret"]))
    .addHelpText("after", "\nExamples:\n  podgate serve\n  podgate serve --config podgate.yaml --tls-dir /etc/podgate/tls --client-ca /etc/podgate/apiserver-ca.crt\n")
    .action(async (flags: Record<string, string | number | boolean | undefined>) => {
      const source = {
        ...(typeof flags["config"] === "string" ? { path: flags["config"] } : {}),
        serverOverrides: {
          tlsDir: flags["tlsDir"],
          host: flags["host"],
          port: flags["port"],
          clientCA: flags["clientCa"],
          logLevel: flags["logLevel"],
          metrics: {
            ...(flags["metricsHost"] !== undefined ? { host: flags["metricsHost"] } : {}),
            ...(flags["metricsPort"] !== undefined ? { port: flags["metricsPort"] } : {}),
            ...(flags["metrics"] === false ? { enabled: false } : {}),
          },
        },
      };
      const mode = flags["certificates"] as CertificatesSettings["mode"] | undefined;
      const running = await serveReloading(registry, async (generation) => withCertificatesMode(await loadConfig(source, registry, generation), mode));
      // SIGHUP reloads now, as the file watch would (which server.reload.enabled: false turns off).
      process.on("SIGHUP", () => {
        running.reloadConfig().catch((error: unknown) => running.app.log.warn({ err: error }, "SIGHUP: config not reloaded"));
      });
      const stop = (signal: string) => {
        running.app.log.info({ signal }, "signal received");
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            running.app.log.error({ err: error }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
}

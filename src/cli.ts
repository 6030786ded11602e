// The podgate command. Exit codes: 0 success, 1 runtime failure, 2 bad usage or config.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { packagePath } from "./package-root.ts";
import { ConfigError } from "./config/load.ts";
import { serveCommand } from "./cli/serve.ts";
import { exportCommand } from "./cli/export.ts";
import { certsCommand } from "./cli/certs.ts";
import { schedulerConfigCommand } from "./cli/scheduler-config.ts";
import { initCommand } from "./cli/init.ts";
import { devCommand } from "./cli/dev.ts";
import { completionCommand } from "./cli/completion.ts";
import { e2eCommand } from "./cli/e2e.ts";
import { registry } from "./wiring.ts";

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The package's version: what `--version` prints and what `init` makes a project depend on. */
const VERSION = (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;

// `podgate … | head` closes the pipe early; that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

function helpLine(commandPath: string): string {
  return `(${commandPath} --help shows the usage)`;
}

const program = new Command("podgate")
  .description("Admission webhooks and a scheduler extender for Kubernetes")
  .version(VERSION)
  .showHelpAfterError(helpLine("podgate"))
  .exitOverride();
for (const command of [serveCommand(), exportCommand(), certsCommand(), schedulerConfigCommand(), initCommand(VERSION), devCommand(), e2eCommand(), completionCommand(() => program)]) program.addCommand(command);
// The registered definitions' commands (the policy webhook's test, apply and export vap), as a program's own would be.
for (const { parent, make } of registry.commands) {
  const group = parent === undefined ? program : program.commands.find((c) => c.name() === parent);
  if (!group) throw new Error(`a registered command names the group "${parent}", which podgate does not have`);
  group.addCommand(make(registry));
}

// addCommand does not pass these settings down; apply them to every subcommand so usage errors exit 2
// and print the error and one line on where the help is (the full help buried the line that mattered).
(function inherit(command: Command, path: string) {
  for (const sub of command.commands) inherit(sub.exitOverride().showHelpAfterError(helpLine(`${path} ${sub.name()}`)), `${path} ${sub.name()}`);
})(program, "podgate");

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help" ? 0 : EXIT_USAGE;
  } else if (error instanceof ConfigError) {
    process.stderr.write(`podgate: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
  } else {
    process.stderr.write(`podgate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}

// podgate test: runs policy test suites (podgate-test.yaml) and compares verdicts.
import { writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { Command } from "commander";
import { junitXml } from "../report.ts";
import { renderTest, type OutputFormat } from "../results.ts";
import { outputOption } from "./options.ts";
import { findSuites, runSuite, suitePassed } from "../suite.ts";

export function testCommand(): Command {
  const command = new Command("test")
    .description("Run policy test suites (podgate-test.yaml files) and report every mismatch")
    .argument("<path>", "a directory searched for podgate-test.yaml files, or one suite file")
    .option("--junit <file>", "also write the results as JUnit XML")
    .addOption(outputOption())
    .addHelpText("after", "\nExamples:\n  podgate test policies/library/tests\n  podgate test my-policies/ --junit results.xml\n  podgate test my-policies/ -o json | jq '.summary'\n")
    .action(async (path: string, flags: { junit?: string; output: OutputFormat }) => {
      if (!existsSync(path)) command.error(`podgate: ${path}: no such file or directory`, { exitCode: 2, code: "podgate.usage" });
      const suites = findSuites(path).map((file) => runSuite(file));
      if (suites.length === 0) command.error(`podgate: no podgate-test.yaml under ${path}`, { exitCode: 2, code: "podgate.usage" });
      process.stdout.write(`${renderTest(flags.output, suites)}\n`);
      if (flags.junit) await writeFile(flags.junit, junitXml(suites));
      // A suite that cannot load (invalid suite, policy or module) is a usage/config error, not a verdict mismatch.
      if (suites.some((suite) => suite.error !== undefined)) process.exitCode = 2;
      else if (!suites.every(suitePassed)) process.exitCode = 1;
    });
  return command;
}

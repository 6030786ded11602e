// Flags of the project's own scripts (npm run bench, fuzz, reliability, e2e,
// cluster): --help/-h prints the usage and exits 0; an unknown or malformed
// flag prints what was wrong and the usage, and exits 2.
import { parseArgs, type ParseArgsConfig } from "node:util";

export const EXIT_USAGE = 2;

export function usageError(message: string, usage: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(EXIT_USAGE);
}

export function commandLine<const T extends Omit<ParseArgsConfig, "args" | "strict">>(usage: string, config: T, argv: readonly string[] = process.argv.slice(2)): ReturnType<typeof parseArgs<T & { strict: true }>> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ ...config, args: [...argv], strict: true }) as ReturnType<typeof parseArgs<T & { strict: true }>>;
  } catch (error) {
    return usageError((error as Error).message, usage);
  }
}

// npm run reliability [-- --soak-seconds N --fuzz-cases N --only a,b]:
// hostile input per route, then each fault under load against a podgate
// child process, and one table of the figures. Exit 1 if any check failed.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandLine, usageError } from "../support/command-line.ts";
import { runFuzzSuite, suiteFailures, table } from "../fuzz/suite.ts";
import { apiDrop } from "./api-drop.ts";
import { maxLoad, reload, rotation, sigterm, slowloris, soak, type ScenarioResult } from "./scenarios.ts";

const SCENARIOS = ["fuzz", "max", "sigterm", "rotation", "reload", "slow", "api-drop", "soak"] as const;
const USAGE = `usage: npm run reliability -- [--only a,b] [--soak-seconds N] [--fuzz-cases N] [--max-seconds N]
  --only           scenarios to run (default: all): ${SCENARIOS.join(", ")}
  --soak-seconds   length of the soak at half the measured maximum load (default 600)
  --fuzz-cases     hostile inputs per route (default 5000; npm run fuzz runs 100,000)
  --max-seconds    length of the saturating run that measures the maximum load (default 5)
Prints one table; exits 1 if any check failed, 2 on bad flags.`;
const { values } = commandLine(USAGE, {
  options: {
    "soak-seconds": { type: "string", default: "600" },
    "fuzz-cases": { type: "string", default: "5000" },
    "max-seconds": { type: "string", default: "5" },
    only: { type: "string", default: SCENARIOS.join(",") },
  },
});
const number = (name: "soak-seconds" | "fuzz-cases" | "max-seconds") => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) usageError(`--${name}: expected a whole number >= 1, got ${values[name]}`, USAGE);
  return n;
};
const only = new Set(values.only.split(","));
for (const name of only) {
  if (!(SCENARIOS as readonly string[]).includes(name)) usageError(`--only: unknown scenario "${name}"; expected some of ${SCENARIOS.join(", ")}`, USAGE);
}

const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const dir = await mkdtemp(join(tmpdir(), "podgate-reliability-"));
const rows: (string | number)[][] = [["target / fault", "inputs or requests", "crashes", "wrong or failed", "RSS start MiB", "RSS end MiB", "notes"]];
const problems: string[] = [];

try {
  if (only.has("fuzz")) {
    log(`fuzz: ${values["fuzz-cases"]} inputs per route`);
    const fuzz = await runFuzzSuite({ cases: number("fuzz-cases"), httpsCases: 0, loaderCases: Math.min(number("fuzz-cases"), 5000), seed: Date.now() % 1_000_000 });
    for (const e of fuzz.endpoints) rows.push([`fuzz ${e.path}`, e.inputs, e.crashes, e.wrong + e.late, "", "", `max ${Math.round(e.maxMs)} ms`]);
    for (const l of fuzz.loaders) rows.push([`fuzz ${l.loader} loader`, l.inputs, l.crashes, l.unlocated, "", "", `accepted ${l.accepted}, refused ${l.refused}`]);
    rows.push(["fuzz (in-process heap after GC)", "", fuzz.faults.length, "", fuzz.heapStartMiB, fuzz.heapEndMiB, "heap, not RSS: the fuzzer and podgate share the process"]);
    problems.push(...suiteFailures(fuzz));
  }
  const run = async (name: (typeof SCENARIOS)[number], scenario: () => Promise<ScenarioResult>) => {
    if (!only.has(name)) return undefined;
    log(`${name}…`);
    const result = await scenario();
    rows.push([result.name, result.sent, 0, result.failed, result.rssStartMiB, result.rssEndMiB, result.notes]);
    problems.push(...result.problems.map((p) => `${result.name}: ${p}`));
    return result;
  };
  const max = await run("max", () => maxLoad(join(dir, "max"), number("max-seconds")));
  await run("sigterm", () => sigterm(join(dir, "sigterm")));
  await run("rotation", () => rotation(join(dir, "rotation")));
  await run("reload", () => reload(join(dir, "reload")));
  await run("slow", () => slowloris(join(dir, "slow")));
  await run("api-drop", () => apiDrop(join(dir, "api-drop")));
  // Half of the measured maximum; without a measurement, a conservative 100 req/s.
  const rps = max && "rps" in max ? (max as { rps: number }).rps / 2 : 100;
  await run("soak", () => soak(join(dir, "soak"), rps, number("soak-seconds")));
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(table(rows));
for (const p of problems) console.log(`FAIL ${p}`);
console.log(problems.length === 0 ? "\nall checks held" : `\n${problems.length} checks failed`);
process.exit(problems.length === 0 ? 0 : 1);

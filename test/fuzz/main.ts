// npm run fuzz [-- --cases N --https-cases N --loader-cases N --seed N]:
// at least 100,000 hostile inputs per route, and the figures. Exit 1 on any fault.
import { commandLine, usageError } from "../support/command-line.ts";
import { fuzzTable, runFuzzSuite, suiteFailures } from "./suite.ts";

const USAGE = `usage: npm run fuzz -- [--cases N] [--https-cases N] [--loader-cases N] [--seed N]
  --cases          hostile inputs per route, in process (default 100000)
  --https-cases    hostile inputs per route sent over real HTTPS to a podgate server (default 2000)
  --loader-cases   hostile config and policy files per loader (default 20000)
  --seed           fast-check seed, to replay a run (default: from the clock, printed)
Prints the figures; exits 1 on any crash, wrong or late reply, 2 on bad flags.`;
const { values } = commandLine(USAGE, {
  options: {
    cases: { type: "string", default: "100000" },
    "https-cases": { type: "string", default: "2000" },
    "loader-cases": { type: "string", default: "20000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
  },
});
const count = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) usageError(`--${name}: expected a whole number, got ${values[name]}`, USAGE);
  return n;
};

const started = performance.now();
const figures = await runFuzzSuite({ cases: count("cases"), httpsCases: count("https-cases"), loaderCases: count("loader-cases"), seed: count("seed"), log: (l) => console.error(l) });
console.log(fuzzTable(figures));
console.log(`\nseed ${values.seed}; heap after GC ${figures.heapStartMiB} -> ${figures.heapEndMiB} MiB; RSS ${figures.rssStartMiB} -> ${figures.rssEndMiB} MiB; ${Math.round((performance.now() - started) / 1000)} s`);
const failures = suiteFailures(figures);
for (const f of failures) console.log(`FAIL ${f}`);
process.exit(failures.length > 0 ? 1 : 0);

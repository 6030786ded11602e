// npm run fuzz [-- --cases N --https-cases N --loader-cases N --seed N]:
// at least 100,000 hostile inputs per route, and the figures. Exit 1 on any fault.
import { parseArgs } from "node:util";
import { fuzzTable, runFuzzSuite, suiteFailures } from "./suite.ts";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "100000" },
    "https-cases": { type: "string", default: "2000" },
    "loader-cases": { type: "string", default: "20000" },
    seed: { type: "string", default: String(Date.now() % 1_000_000) },
  },
});
const count = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name}: expected a whole number, got ${values[name]}`);
    process.exit(2);
  }
  return n;
};

const started = performance.now();
const figures = await runFuzzSuite({ cases: count("cases"), httpsCases: count("https-cases"), loaderCases: count("loader-cases"), seed: count("seed"), log: (l) => console.error(l) });
console.log(fuzzTable(figures));
console.log(`\nseed ${values.seed}; heap after GC ${figures.heapStartMiB} -> ${figures.heapEndMiB} MiB; RSS ${figures.rssStartMiB} -> ${figures.rssEndMiB} MiB; ${Math.round((performance.now() - started) / 1000)} s`);
const failures = suiteFailures(figures);
for (const f of failures) console.log(`FAIL ${f}`);
process.exit(failures.length > 0 ? 1 : 0);

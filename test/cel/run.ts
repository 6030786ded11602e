// `npm run test:cel`: the differential test of podgate's CEL environment
// against kube-apiserver 1.36's (k8s.io/apiserver's admission policy
// compiler, built as a Go oracle: test/cel/build.sh). Every case of the
// corpus (test/cel/cases.ts: fixed cases per library function and seeded
// random inputs) is evaluated by both; they must agree on the value, or both
// fail. Prints the agreement per function and every disagreement; exits 1 on
// any disagreement, 2 on bad flags.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { commandLine, usageError } from "../support/command-line.ts";
import { runOracle } from "../support/oracle.ts";
import { FIXED, generated } from "./cases.ts";
import { agree, podgate, type Outcome } from "./evaluate.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const GOLDEN = join(REPO, "test/fixtures/policy/cel-upstream.json");
const USAGE = `usage: npm run test:cel -- [--random N] [--seed S] [--fn NAME] [--write-golden]
Evaluates every fixed case of the corpus and N random cases (default 2000)
for seed 1 and N for a rotating seed (printed; --seed or PODGATE_CEL_SEED
replays one) in podgate's CEL environment and in kube-apiserver 1.36's.
--fn keeps the cases of functions whose name contains NAME.
--write-golden records the oracle's outcomes of the fixed cases in
test/fixtures/policy/cel-upstream.json, which the unit tests compare podgate
with when Go is not at hand.
Exits 1 on any disagreement, 2 on bad flags.`;
const { values } = commandLine(USAGE, { options: { random: { type: "string" }, seed: { type: "string" }, fn: { type: "string" }, "write-golden": { type: "boolean" } } });
const randomCount = Number(values.random ?? 2000);
const seedText = values.seed ?? process.env["PODGATE_CEL_SEED"];
const rotating = seedText === undefined ? Math.floor(Date.now() / 1000) % 1_000_000 : Number(seedText);
if (!Number.isInteger(randomCount) || randomCount < 0 || !Number.isInteger(rotating) || rotating < 0) usageError("--random and --seed take non-negative integers", USAGE);
if (values["write-golden"] && values.fn) usageError("--write-golden records every fixed case: leave out --fn", USAGE);

const t0 = performance.now();
const log = (line: string) => process.stderr.write(`[cel ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);

if (spawnSync(join(REPO, "test/cel/build.sh"), [], { stdio: ["ignore", "inherit", "inherit"] }).status !== 0) {
  log("building the oracle failed (see above)");
  process.exit(1);
}
const ORACLE = join(process.env["PODGATE_CEL_BIN"] ?? join(REPO, ".cache/cel"), "oracle");

type OracleResult = Outcome & { readonly id: number };

const cases = [...FIXED, ...[...new Set([1, rotating])].flatMap((seed) => generated(seed, randomCount))].filter((c) => !values.fn || c.fn.includes(values.fn));
const results = await runOracle<OracleResult>(ORACLE, [], cases.map((c, id) => JSON.stringify({ id, expr: c.expr, vars: c.vars ?? {}, authz: c.authz })).join("\n") + "\n");
if (results.length !== cases.length) throw new Error(`oracle answered ${results.length} of ${cases.length} cases`);

if (values["write-golden"]) {
  // The fixed cases come first in `cases`.
  const golden = FIXED.map((c, i) => {
    const upstream = results[i]!;
    return JSON.stringify({ fn: c.fn, expr: c.expr, ...(upstream.error !== undefined ? { error: upstream.error.split("\n")[0], stage: upstream.stage } : { value: upstream.value }) });
  });
  writeFileSync(GOLDEN, `[\n${golden.join(",\n")}\n]\n`);
  log(`wrote ${golden.length} upstream outcomes to ${GOLDEN}`);
}

const perFunction = new Map<string, { cases: number; disagree: number }>();
const disagreements: string[] = [];
const gaps: string[] = [];
const stages: string[] = [];
for (const [i, c] of cases.entries()) {
  const upstream = results[i]!;
  const ours = podgate(c);
  const counts = perFunction.get(c.fn) ?? { cases: 0, disagree: 0 };
  perFunction.set(c.fn, counts);
  counts.cases++;
  const agreed = agree(upstream, ours);
  if (c.gap !== undefined) {
    if (agreed) disagreements.push(`${c.fn}: ${c.expr}\n  marked as a known gap (${c.gap}) but now agrees: remove the mark`);
    else gaps.push(`${c.fn}: ${c.expr}\n  ${c.gap}`);
    continue;
  }
  if (agreed) {
    if (upstream.error !== undefined && (upstream.stage === "compile") !== (ours.stage === "compile")) stages.push(`${c.fn}: ${c.expr}: upstream fails at ${upstream.stage}, podgate at ${ours.stage}`);
    continue;
  }
  counts.disagree++;
  const show = (o: Outcome) => (o.error !== undefined ? `error: ${o.error}` : JSON.stringify(o.value));
  disagreements.push(`${c.fn}: ${c.expr}${c.vars ? `  vars ${JSON.stringify(c.vars)}` : ""}\n  upstream: ${show(upstream)}\n  podgate:  ${show(ours)}`);
}

for (const g of gaps) console.log(`\nKNOWN GAP ${g}`);
for (const s of stages) console.log(`STAGE ${s}`);
for (const d of disagreements) console.log(`\nDISAGREEMENT ${d}`);
console.log("\nfunction                          cases  disagree");
for (const [fn, { cases: n, disagree }] of [...perFunction].sort()) console.log(`${fn.padEnd(32)} ${String(n).padStart(6)}  ${String(disagree).padStart(8)}`);
console.log(`\ncel: ${disagreements.length} of ${cases.length} cases disagree, ${gaps.length} known gaps (${FIXED.length} fixed; ${randomCount} random for seed 1 and for seed ${rotating}, PODGATE_CEL_SEED=${rotating} replays it); ${((performance.now() - t0) / 1000).toFixed(1)}s`);
process.exit(disagreements.length === 0 ? 0 : 1);

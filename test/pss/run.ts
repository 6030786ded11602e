// `npm run test:pss`: the differential test of podgate's Pod Security
// Standards library against k8s.io/pod-security-admission (the evaluator
// kube-apiserver 1.36 runs). Builds the Go oracle (cached, test/pss/build.sh),
// then judges every upstream fixture and seeded random pods: each upstream
// check against the podgate policy held to it, and each level, at every PSS
// version. Prints the disagreement count and the smallest disagreeing pod of
// each kind; exits 1 on any disagreement.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { commandLine, usageError } from "../support/command-line.ts";
import { runOracle } from "../support/oracle.ts";
import { randomPod } from "./generate.ts";
import { judge, Library, type Disagreement, type OracleResult } from "./judge.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const USAGE = `usage: npm run test:pss -- [--pods N] [--seed S]
Judges podgate's pss-baseline / pss-restricted policies against the PodSecurity
evaluator on upstream's fixtures and on N random pods (default 10000) for seed 1
and N for a rotating seed (printed; --seed or PODGATE_PSS_SEED replays one).
Exits 1 on any disagreement, 2 on bad flags.`;
const { values } = commandLine(USAGE, { options: { pods: { type: "string" }, seed: { type: "string" } } });
const pods = Number(values.pods ?? 10000);
const seedText = values.seed ?? process.env["PODGATE_PSS_SEED"];
const rotating = seedText === undefined ? Math.floor(Date.now() / 1000) % 1_000_000 : Number(seedText);
if (!Number.isInteger(pods) || pods < 0 || !Number.isInteger(rotating) || rotating < 0) usageError("--pods and --seed take non-negative integers", USAGE);

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
const log = (line: string) => process.stderr.write(`[pss ${elapsed()}] ${line}\n`);

const build = spawnSync(join(REPO, "test/pss/build.sh"), [], { stdio: ["ignore", "inherit", "inherit"] });
if (build.status !== 0) {
  log("building the oracle failed (see above)");
  process.exit(1);
}
const BIN = process.env["PODGATE_PSS_BIN"] ?? join(REPO, ".cache/pss");
const ORACLE = join(BIN, "oracle");
const TESTDATA = readFileSync(join(BIN, "testdata"), "utf8").trim();

/** Runs the oracle; input lines on stdin, one result per output line. */
const oracle = (args: readonly string[], input = "") => runOracle<OracleResult>(ORACLE, args, input);

const library = new Library(36);
log(`library loaded at ${library.versions} PSS versions: ${library.revisions.length} policy revisions`);

interface Worst {
  readonly size: number;
  readonly source: string;
  readonly pod: unknown;
  readonly disagreement: Disagreement;
  readonly upstream: string;
  readonly podgate: string;
}
const kinds = new Map<string, { count: number; worst: Worst }>();
let disagreeing = 0;

function record(source: string, result: OracleResult): void {
  const { disagreements, messages } = judge(library, result);
  if (disagreements.length === 0) return;
  disagreeing++;
  const pod = result.pod!;
  const size = JSON.stringify(pod).length;
  for (const d of disagreements) {
    const check = d.what.startsWith("level ") ? undefined : d.what;
    const entry = kinds.get(d.kind);
    const candidate: Worst = { size, source, pod, disagreement: d, upstream: (check ? result.details?.[check] : undefined) ?? "-", podgate: (check ? messages.get(check) : undefined) ?? "-" };
    if (!entry) kinds.set(d.kind, { count: 1, worst: candidate });
    else {
      entry.count++;
      if (size < entry.worst.size) entry.worst = candidate;
    }
  }
}

// 1. Upstream's fixtures: the oracle must agree with each fixture's own expectation, and podgate with the oracle.
const fixtures = await oracle(["fixtures", TESTDATA]);
let expectationMisses = 0;
for (const result of fixtures) {
  const f = result.fixture!;
  const verdict = result.levels?.[f.level]?.[Number(f.version.slice(3))];
  if ((verdict === ".") !== (f.expect === "pass")) {
    expectationMisses++;
    log(`oracle disagrees with upstream's fixture ${f.file}: ${result.error ?? verdict}`);
  }
  record(`fixture ${f.file}`, result);
}
log(`${fixtures.length} upstream fixtures judged (${TESTDATA})`);

// 2. Random pods: a fixed seed, so a regression shows the same pod each run, and a rotating one to explore.
let randomCount = 0;
for (const seed of [...new Set([1, rotating])]) {
  const input = Array.from({ length: pods }, (_, i) => JSON.stringify({ id: i, pod: randomPod(seed, i) })).join("\n") + "\n";
  const results = await oracle(["eval"], input);
  if (results.length !== pods) throw new Error(`oracle answered ${results.length} of ${pods} pods`);
  for (const result of results) {
    if (result.error) throw new Error(`oracle on random pod ${seed}/${String(result.id)}: ${result.error}`);
    record(`random pod seed ${seed} #${String(result.id)}`, result);
  }
  randomCount += results.length;
  log(`${results.length} random pods judged (seed ${seed}${seed === 1 ? ", fixed" : `, rotating: PODGATE_PSS_SEED=${seed} replays it`})`);
}

for (const [kind, { count, worst }] of [...kinds].sort((a, b) => b[1].count - a[1].count)) {
  console.log(`\nDISAGREEMENT ${kind} — ${count} pod(s); smallest: ${worst.source}`);
  console.log(`  versions: ${worst.disagreement.versions} (upstream ${worst.disagreement.upstream}, podgate ${worst.disagreement.podgate})`);
  console.log(`  upstream: ${worst.upstream}`);
  console.log(`  podgate:  ${worst.podgate}`);
  console.log(`  pod: ${JSON.stringify(worst.pod)}`);
}
const total = fixtures.length + randomCount;
console.log(
  `\npss: ${disagreeing} of ${total} pods disagree (${fixtures.length} upstream fixtures, ${randomCount} random pods, seeds 1 and ${rotating}; ` +
    `${kinds.size} kinds; each pod judged per check and per level at v1.0-v1.${library.versions - 1}); oracle vs fixture expectations: ${expectationMisses} misses; ${elapsed()}`,
);
process.exit(disagreeing === 0 && expectationMisses === 0 ? 0 : 1);

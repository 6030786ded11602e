// The project's npm scripts are commands too: --help prints the usage and
// exits 0, an unknown flag names itself and exits 2, before any work starts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const ROOT = new URL("../../../", import.meta.url).pathname;
/** Script, and how its usage line starts. */
const SCRIPTS: Record<string, [string, string]> = {
  bench: ["bench/run.ts", "npm run bench"],
  fuzz: ["test/fuzz/main.ts", "npm run fuzz"],
  reliability: ["test/reliability/main.ts", "npm run reliability"],
  e2e: ["test/harness/run-e2e.ts", "npm run e2e"],
  cluster: ["test/harness/cluster.ts", "npm run cluster"],
  // Documented in docs/benchmarks.md: without a check it started a control plane on --help.
  flow: ["bench/flow.ts", "node bench/flow.ts"],
};

const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

describe("npm run <script> -- --help / a bad flag", () => {
  for (const [name, [script, command]] of Object.entries(SCRIPTS)) {
    it(`${name}: --help prints the usage and exits 0`, () => {
      const result = run(script, "--help");
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^usage: ${command}\\b`));
    });
    it(`${name}: an unknown flag is named, with the usage, exit 2`, () => {
      const result = run(script, "--no-such-flag");
      assert.equal(result.status, 2, result.stdout);
      assert.match(result.stderr, /'--no-such-flag'/);
      assert.match(result.stderr, new RegExp(`usage: ${command}\\b`));
    });
  }
});

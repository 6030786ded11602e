// The project's npm scripts are commands too: --help prints the usage and
// exits 0, an unknown flag names itself and exits 2, before any work starts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

const ROOT = new URL("../../../", import.meta.url).pathname;
const SCRIPTS: Record<string, string> = {
  bench: "bench/run.ts",
  fuzz: "test/fuzz/main.ts",
  reliability: "test/reliability/main.ts",
  e2e: "test/harness/run-e2e.ts",
  cluster: "test/harness/cluster.ts",
};

const run = (script: string, ...args: string[]) => spawnSync(process.execPath, [script, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });

describe("npm run <script> -- --help / a bad flag", () => {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    it(`${name}: --help prints the usage and exits 0`, () => {
      const result = run(script, "--help");
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^usage: npm run ${name}\\b`));
    });
    it(`${name}: an unknown flag is named, with the usage, exit 2`, () => {
      const result = run(script, "--no-such-flag");
      assert.equal(result.status, 2, result.stdout);
      assert.match(result.stderr, /'--no-such-flag'/);
      assert.match(result.stderr, new RegExp(`usage: npm run ${name}\\b`));
    });
  }
});

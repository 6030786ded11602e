// The build (dist/) runs where the sources did: the files that ship beside
// the code (the embedded config, the policy library, the pod models) are found
// from the package root, not from the compiled file's own directory.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { PACKAGE_ROOT, packagePath } from "../../../src/package-root.ts";
import { buildPodgate, built, PODGATE_BIN } from "../../support/build.ts";

const ROOT = PACKAGE_ROOT.pathname;
const CLI = built(join(ROOT, "src/cli.ts"));
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: "/", encoding: "utf8", timeout: 60_000 });

describe("the built CLI", () => {
  before(() => buildPodgate());

  it("is what bin/podgate.js runs once built", () => {
    assert.ok(existsSync(CLI), CLI);
    assert.equal(PODGATE_BIN, join(ROOT, "bin/podgate.js"));
  });

  it("runs the policy library's suites (library, policy schema) from any working directory", () => {
    const result = run("test", packagePath("policies/library/tests"));
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /pass/i);
  });

  it("reads the embedded default config (its sidecar template is checked against src/kube/models.json)", () => {
    const result = run("scheduler-config");
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /KubeSchedulerConfiguration/);
  });
});

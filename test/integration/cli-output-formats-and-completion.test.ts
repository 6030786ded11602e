// The policy commands for scripts: `-o json|yaml` prints one document with a
// summary (and exit codes stay what the table's would be), progress never
// reaches a pipe, and `podgate completion` prints scripts a shell can run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { parse } from "yaml";
import { applyResult, testResult } from "../../webhooks/policy/results.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const LIBRARY_TESTS = new URL("../../policies/library/tests", import.meta.url).pathname;
const cli = (args: readonly string[], input = "") => spawnSync(process.execPath, [CLI, ...args], { input, encoding: "utf8" });

const pod = (name: string, hostNetwork: boolean) => `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: shop}\nspec: {hostNetwork: ${hostNetwork}, containers: [{name: app, image: nginx}]}\n`;
const manifests = [pod("ok", false), pod("host", true)].join("---\n");

test("apply -o json and -o yaml print one ApplyResult with a summary; a denial still exits 1", () => {
  for (const format of ["json", "yaml"]) {
    const run = cli(["apply", "-l", "pss-baseline", "-f", "-", "-o", format], manifests);
    assert.equal(run.status, 1, run.stderr);
    const result = applyResult.parse(format === "json" ? JSON.parse(run.stdout) : parse(run.stdout));
    assert.deepEqual(result.summary, { objects: 2, allowed: 1, denied: 1, warned: 0 });
    const host = result.objects.find((o) => o.name === "host")!;
    assert.equal(host.code, 403);
    assert.match(host.message ?? "", /pss-baseline-host-namespaces/);
  }
});

test("the table ends with the summary line; an unknown format is a usage error", () => {
  const table = cli(["apply", "-l", "pss-baseline", "-f", "-"], manifests);
  assert.match(table.stdout.trimEnd().split("\n").at(-1)!, /^2 objects matched: 1 allowed \(0 with warnings\), 1 denied$/);
  const bad = cli(["apply", "-l", "pss-baseline", "-f", "-", "-o", "xml"], manifests);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /argument 'xml' is invalid\. Allowed choices are table, json, yaml/);
});

test("test -o json prints one TestResult; the library's suites pass", () => {
  const run = cli(["test", LIBRARY_TESTS, "-o", "json"]);
  assert.equal(run.status, 0, run.stderr);
  const result = testResult.parse(JSON.parse(run.stdout));
  assert.equal(result.summary.failed, 0);
  assert.ok(result.summary.passed > 50);
});

test("a long apply into a pipe shows no progress (stdout is not a terminal)", () => {
  const many = Array.from({ length: 400 }, (_, i) => pod(`p${i}`, false)).join("---\n");
  const run = cli(["apply", "-l", "pss-baseline", "-f", "-", "-o", "json"], many);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, "");
});

test("completion bash completes subcommands, options and option choices in a real bash", () => {
  const script = cli(["completion", "bash"]);
  assert.equal(script.status, 0, script.stderr);
  const complete = (words: readonly string[]) =>
    spawnSync("bash", ["-c", `${script.stdout}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _podgate; echo "\${COMPREPLY[*]}"`], { encoding: "utf8" }).stdout.trim();
  assert.equal(complete(["podgate", "export", ""]), "webhooks vap map --help");
  assert.equal(complete(["podgate", "apply", "-o", ""]), "table json yaml");
  assert.equal(complete(["podgate", "te"]), "test");
  assert.equal(complete(["podgate", "completion", ""]), "bash zsh fish --help");
});

test("completion zsh and fish print their scripts; another shell is a usage error", () => {
  assert.match(cli(["completion", "zsh"]).stdout, /bashcompinit/);
  const fish = cli(["completion", "fish"]).stdout;
  assert.match(fish, /complete -c podgate .* -l output -x -a 'table json yaml'/);
  const tcsh = cli(["completion", "tcsh"]);
  assert.equal(tcsh.status, 2);
  assert.match(tcsh.stderr, /Allowed choices are bash, zsh, fish/);
});

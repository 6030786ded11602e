// `npm run e2e`: build the control plane (cached), start the harness, run the
// e2e suite against it, tear down. Any build or start failure exits non-zero:
// the suite is never skipped.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { REPO } from "./controlplane.ts";
import { ENV_VARIABLE } from "./env.ts";
import { withHarness } from "./harness.ts";
import { commandLine } from "../support/command-line.ts";

// Order matters, and node --test sorts the files it is given, so each file
// gets its own run: rotation moves podgate to a new CA that the running
// kube-scheduler (which read caData at start) does not trust, so it runs last.
export const SUITE = ["admission", "scheduling", "workload", "manifests", "rotation"].map((f) => join(REPO, "test/e2e", `${f}.test.ts`));

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
const USAGE = `usage: npm run e2e -- [test files]
Builds the control plane (kube-apiserver, kube-scheduler, kube-controller-manager, etcd, kwok;
cached in .cache/controlplane), starts it with podgate, and runs the e2e suite against it
(default: ${SUITE.map((f) => f.slice(REPO.length + 1)).join(", ")}). Exits non-zero if the build,
the start or any test fails: the suite is never skipped.`;
const { positionals } = commandLine(USAGE, { allowPositionals: true });
const files = positionals.length > 0 ? positionals : SUITE;

if ((await run(join(REPO, "test/controlplane/build.sh"), [])) !== 0) {
  process.stderr.write("e2e: building the control plane failed (see above)\n");
  process.exit(1);
}
process.stderr.write(`[e2e ${seconds()}s] control plane built; starting the harness\n`);
const code = await withHarness({ keep: process.env["PODGATE_E2E_KEEP"] === "1" }, async (h) => {
  process.stderr.write(`[e2e ${seconds()}s] harness ready ${JSON.stringify(h.timings)}; running ${files.length} test files\n`);
  const failed: string[] = [];
  for (const file of files) {
    if ((await run(process.execPath, ["--test", "--test-reporter=spec", file], { ...process.env, [ENV_VARIABLE]: h.envFile })) !== 0) failed.push(file);
  }
  if (failed.length > 0) process.stderr.write(`e2e: failed: ${failed.join(", ")}\n`);
  return failed.length;
});
process.stderr.write(`[e2e ${seconds()}s] suite ${code === 0 ? "passed" : `FAILED (${code} file${code === 1 ? "" : "s"})`}\n`);
process.exit(code === 0 ? 0 : 1);

// `npm run e2e`: build the control plane (cached), start the harness, run the
// e2e suite against it, tear down. Any build or start failure exits non-zero:
// the suite is never skipped.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ENV_VARIABLE } from "./env.ts";
import { withHarness } from "./harness.ts";
import { readRealNodeMode, realNodePreflight } from "./realnode.ts";
import { commandLine } from "../support/command-line.ts";
import { REPO } from "../support/build.ts";

// Order matters, and node --test sorts the files it is given, so each file
// gets its own run: rotation moves podgate to a new CA that the running
// kube-scheduler (which read caData at start) does not trust, so it runs last.
// realnode and incluster need the real node (PODGATE_REAL_NODE) and are left out without it.
export const SUITE = ["admission", "scheduling", "workload", "manifests", "pss", "cel", "map", "reports", "realnode", "incluster", "helm", "toolkit", "rotation"].map((f) => join(REPO, "test/e2e", `${f}.test.ts`));
const REAL_NODE_FILES = ["realnode", "incluster", "helm"].map((f) => join(REPO, "test/e2e", `${f}.test.ts`));

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
Builds the control plane (kube-apiserver, kube-scheduler, kube-controller-manager, kubelet, etcd,
kwok; cached in .cache/controlplane) and the real node's images, starts it with podgate, and runs
the e2e suite against it (default: ${SUITE.map((f) => f.slice(REPO.length + 1)).join(", ")}).
PODGATE_REAL_NODE=1 requires the real node (kubelet + containerd; root), 0 leaves it out, auto
(the default) runs it when this machine can and says why not otherwise.
Exits non-zero if the build, the start or any test fails: the suite is never skipped.`;
const { positionals } = commandLine(USAGE, { allowPositionals: true });
const mode = readRealNodeMode();

if ((await run(join(REPO, "controlplane/build.sh"), [])) !== 0) {
  process.stderr.write("e2e: building the control plane failed (see above)\n");
  process.exit(1);
}
// --podgate: podgate's own image too, for incluster.test.ts (the build of this checkout).
if (mode !== "0" && (await run(join(REPO, "controlplane/images.sh"), ["--podgate"])) !== 0) {
  process.stderr.write("e2e: building the real node's images failed (see above)\n");
  process.exit(1);
}
const cannot = mode === "0" ? "PODGATE_REAL_NODE=0" : realNodePreflight();
if (cannot !== undefined && mode === "1") {
  process.stderr.write(`e2e: PODGATE_REAL_NODE=1 but the real node cannot run here: ${cannot}\n`);
  process.exit(1);
}
const realNode = cannot === undefined;
if (!realNode) process.stderr.write(`[e2e] no real node (${cannot}): kwok nodes only; ${REAL_NODE_FILES.map((f) => f.slice(REPO.length + 1)).join(" and ")} are left out\n`);
const files = positionals.length > 0 ? positionals : SUITE.filter((f) => realNode || !REAL_NODE_FILES.includes(f));

process.stderr.write(`[e2e ${seconds()}s] control plane built; starting the harness${realNode ? " with a real node" : ""}\n`);
const code = await withHarness({ keep: process.env["PODGATE_E2E_KEEP"] === "1", realNode }, async (h) => {
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

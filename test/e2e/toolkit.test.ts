// A user's project on the real control plane: `podgate init` scaffolds it,
// `podgate dev` serves it and registers its webhooks with the apiserver, and
// kubectl apply meets the user's own webhook and TypeScript policy. An edit
// to the project reloads it, a broken edit keeps the last good version serving,
// and stopping dev removes the registration.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { AdmissionregistrationV1Api } from "@kubernetes/client-node";
import { freePort } from "../../src/harness/wait.ts";
import { PODGATE_BIN, REPO } from "../support/build.ts";
import { env, kubeConfig, kubectl, namespace, poll, podYaml, readPod } from "./support/cluster.ts";

const CONFIGURATION = "podgate-dev-e2e";
const admission = kubeConfig.makeApiClient(AdmissionregistrationV1Api);

let project: string;
let ns: string;
let dev: ChildProcess;
let output = "";

/** What a server-side dry run of `pod` would store: the webhooks are live once it carries the team label. */
async function dryRunTeam(name: string): Promise<string | undefined> {
  const result = await kubectl(["apply", "--dry-run=server", "-o", "json", "-f", "-"], podYaml(name, ns));
  if (result.code !== 0) return undefined;
  return (JSON.parse(result.stdout) as { metadata: { labels?: Record<string, string> } }).metadata.labels?.["team"];
}

before(async () => {
  project = await mkdtemp(join(tmpdir(), "podgate-toolkit-e2e-"));
  const init = spawnSync(process.execPath, [PODGATE_BIN, "init", project], { encoding: "utf8" });
  assert.equal(init.status, 0, init.stderr);
  // As `npm install` would: the project's "podgate" is this checkout (its build, which the harness made).
  await mkdir(join(project, "node_modules"));
  await symlink(REPO, join(project, "node_modules/podgate"));
  ns = await namespace("e2e-toolkit", { inject: false });
  const port = await freePort();
  dev = spawn(process.execPath, [PODGATE_BIN, "dev", "-c", join(project, "podgate.yaml"), "--port", String(port), "--kubeconfig", env.kubeconfig, "--name", CONFIGURATION], {
    cwd: project,
    stdio: ["ignore", "pipe", "pipe"],
  });
  dev.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await poll("podgate dev's webhooks live in the apiserver", 60_000, async () => {
    assert.equal(dev.exitCode, null, output);
    return (await dryRunTeam("probe")) === "platform";
  });
});

after(async () => {
  if (dev && dev.exitCode === null) {
    const exited = new Promise((r) => dev.once("exit", r));
    dev.kill("SIGTERM");
    await exited;
  }
  if (project) await rm(project, { recursive: true, force: true });
});

test("kubectl apply: the scaffolded mutating webhook labels the pod stored in etcd", async () => {
  const applied = await kubectl(["apply", "-f", "-"], podYaml("web", ns));
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal((await readPod("web", ns)).metadata?.labels?.["team"], "platform");
});

test("kubectl apply: the scaffolded TypeScript policy denies a pod on the host's network", async () => {
  const pod = JSON.parse(podYaml("host", ns)) as { spec: Record<string, unknown> };
  pod.spec["hostNetwork"] = true;
  const result = await kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /denied the request: .*policy no-host-network: hostNetwork is not allowed/);
});

test("an edit to podgate.yaml reloads the project: new pods get the new team", async () => {
  const config = join(project, "podgate.yaml");
  await writeFile(config, (await readFile(config, "utf8")).replace("settings: {team: platform}", "settings: {team: payments}"));
  await poll("the reloaded webhook", 60_000, async () => (await dryRunTeam("probe")) === "payments");
  assert.match(output, /podgate\.yaml changed: restarting/);
});

test("a broken edit is reported with its key path and the last good version keeps serving", async () => {
  const config = join(project, "podgate.yaml");
  const good = await readFile(config, "utf8");
  await writeFile(config, good.replace("settings: {team: payments}", "settings: {teem: payments}"));
  await poll("the broken edit reported", 30_000, () => Promise.resolve(output.includes("the last good version keeps serving")));
  assert.match(output, /admission\.mutating\[0\]\.settings\.teem: unknown key/);
  assert.equal(await dryRunTeam("still"), "payments");
  await writeFile(config, good);
  await poll("the repaired project served again", 60_000, async () => (output.match(/podgate\.yaml changed: restarting/g) ?? []).length >= 2 && (await dryRunTeam("again")) === "payments");
});

test("stopping podgate dev removes its webhook configurations", async () => {
  const exited = new Promise((r) => dev.once("exit", r));
  dev.kill("SIGTERM");
  assert.equal(await exited, 0);
  for (const read of [() => admission.readMutatingWebhookConfiguration({ name: CONFIGURATION }), () => admission.readValidatingWebhookConfiguration({ name: CONFIGURATION })]) {
    await assert.rejects(read(), (error: { code?: number }) => error.code === 404);
  }
});

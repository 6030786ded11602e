// podgate as a user gets it: `npm pack`, the tarball installed into a fresh
// project outside the repository (its dependencies from the registry, as
// usual), run on the Node LTS lines users have. Node 22 and 24 come from the
// `node` npm package into .cache/node-lts/, as the repository's own Node 24 does.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PACKAGE_ROOT } from "../../src/package-root.ts";
import { freePort, waitFor } from "../../src/harness/wait.ts";
import { post } from "../../src/harness/https.ts";

const ROOT = PACKAGE_ROOT.pathname;
const NPM_FLAGS = ["--no-audit", "--no-fund", "--loglevel=error"];
/** The lines a user has, and one older line that must be refused in one sentence. */
const NODE_LINES = { "22": "22", "24": "24", "20": "20" } as const;

/** A Node binary of one major line, installed once from the `node` npm package (it ships the binary). */
function nodeOf(major: keyof typeof NODE_LINES): string {
  const prefix = join(ROOT, ".cache/node-lts", major);
  const binary = join(prefix, "node_modules/node/bin/node");
  if (!existsSync(binary)) {
    execFileSync("npm", ["install", "--prefix", prefix, ...NPM_FLAGS, "--no-save", `node@${NODE_LINES[major]}`], { stdio: "inherit" });
  }
  return binary;
}

/** Runs a command with `node` on PATH being the given binary, as a user's shell would. */
function withNode(node: string, cwd: string, command: string, args: readonly string[], timeout = 120_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: userEnv(node) });
}

/**
 * The user's environment with `node` on PATH being the given binary. Without this
 * process's NODE_TEST_CONTEXT: the project's own `node --test` would take itself for
 * a child of this test run and skip its files.
 */
function userEnv(node: string): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
  return { ...env, PATH: `${join(node, "..")}:${process.env["PATH"] ?? ""}` };
}

const explain = (r: SpawnSyncReturns<string>) => `exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

let work: string;
let project: string;
let tarball: { file: string; size: number; files: string[] };
const nodes: Partial<Record<keyof typeof NODE_LINES, string>> = {};

before(async () => {
  for (const major of Object.keys(NODE_LINES) as (keyof typeof NODE_LINES)[]) nodes[major] = nodeOf(major);
  work = await mkdtemp(join(tmpdir(), "podgate-package-"));
  // pack runs `prepare`, so the tarball carries a build of the current sources.
  const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", work, "--loglevel=error"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as {
    filename: string;
    size: number;
    files: { path: string }[];
  }[];
  const [info] = packed;
  assert.ok(info);
  tarball = { file: join(work, info.filename), size: info.size, files: info.files.map((f) => f.path) };
  project = join(work, "user-project");
  await mkdir(project);
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true, type: "module" }, null, 2));
  const started = performance.now();
  execFileSync("npm", ["install", ...NPM_FLAGS, tarball.file], { cwd: project, stdio: "inherit", env: userEnv(nodes["24"]!) });
  console.log(`tarball ${tarball.files.length} files, ${(tarball.size / 1024).toFixed(0)} kB; install ${((performance.now() - started) / 1000).toFixed(1)} s`);
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed podgate, installed into a fresh project", () => {
  it("ships the build, its types and runtime files, and nothing from test/ or bench/", () => {
    const files = tarball.files;
    assert.ok(files.includes("dist/src/cli.js") && files.includes("dist/src/index.d.ts") && files.includes("dist/src/testing.js"));
    assert.ok(files.includes("config/default.yaml") && files.includes("src/kube/models.json") && files.includes("schemas/policy.schema.json"));
    assert.ok(files.some((f) => f.startsWith("policies/library/")));
    assert.ok(files.includes("templates/project/podgate.yaml") && files.includes("manifests/base/kustomization.yaml"));
    // The scaffold's own sources and tests are templates, not podgate's.
    const stray = files.filter((f) => !f.startsWith("templates/") && (/(^|\/)(test|bench)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.includes(".tsbuildinfo")));
    assert.deepEqual(stray, []);
  });

  for (const major of ["22", "24"] as const) {
    it(`runs npx podgate --help on Node ${major} from the node package`, () => {
      const help = withNode(nodes[major]!, project, "npx", ["--no-install", "podgate", "--help"]);
      assert.equal(help.status, 0, explain(help));
      assert.match(help.stdout, /Usage: podgate/);
      const version = withNode(nodes[major]!, project, "node", ["--version"]);
      assert.match(version.stdout, new RegExp(`^v${major}\\.`));
    });
  }

  it("refuses Node 20 in one line that names the version it needs, exit 2", () => {
    const old = withNode(nodes["20"]!, project, "npx", ["--no-install", "podgate", "--help"]);
    assert.equal(old.status, 2, explain(old));
    assert.match(old.stderr.trim(), /^podgate: needs Node\.js 22\.18 or newer .*this is Node\.js 20\.[\d.]+$/);
    assert.equal(old.stderr.trim().split("\n").length, 1);
  });

  it("scaffolds with npx podgate init, and the project's own npm test passes on Node 22 and 24", async () => {
    const init = withNode(nodes["24"]!, project, "npx", ["--no-install", "podgate", "init"]);
    assert.equal(init.status, 0, explain(init));
    // Not a test file, but type-checked by the project's npm test: the lines marked ts-expect-error prove
    // the shipped .d.ts resolved (against \`any\` they would be unused, an error), with skipLibCheck as tsc --init sets it.
    await writeFile(
      join(project, "test/types.ts"),
      `import { defineMutatingWebhook, deny, z } from "podgate";
import { admissionRequestFor } from "podgate/testing";
// @ts-expect-error a denial's message is a string
deny(42);
defineMutatingWebhook({
  settings: z.strictObject({ team: z.string() }),
  // @ts-expect-error settings are typed by their schema
  mutate: ({ settings }) => void settings.team.toFixed(),
});
// @ts-expect-error an operation is one of CREATE, UPDATE, DELETE, CONNECT
admissionRequestFor(null, { operation: "PATCH" });
`,
    );
    const install = withNode(nodes["24"]!, project, "npm", ["install", ...NPM_FLAGS]);
    assert.equal(install.status, 0, explain(install));
    for (const major of ["22", "24"] as const) {
      const test = withNode(nodes[major]!, project, "npm", ["test"]);
      assert.equal(test.status, 0, `Node ${major}: ${explain(test)}`);
      assert.match(test.stdout + test.stderr, /(ℹ|#) pass 5$/m, explain(test));
      assert.match(test.stdout + test.stderr, /(ℹ|#) fail 0$/m);
    }
  });

  /** `npx podgate e2e <flags>` in the scaffolded project: its three tests pass. */
  function scaffoldE2e(flags: readonly string[]): string {
    const e2e = withNode(nodes["24"]!, project, "npx", ["--no-install", "podgate", "e2e", ...flags], 40 * 60_000);
    const out = e2e.stdout + e2e.stderr;
    assert.equal(e2e.status, 0, explain(e2e));
    assert.match(out, /✔ team-label gives a pod without a team the configured one/);
    assert.match(out, /✔ no-host-network denies a pod on the host's network/);
    assert.match(out, /✔ team-nodes keeps a team's pods off the nodes of another team/);
    assert.match(out, /ℹ pass 3$/m);
    assert.match(out, /ℹ fail 0$/m);
    return out;
  }

  it("runs the scaffolded project's e2e with npx podgate e2e --local: its webhook's patch, its policy's denial and its plugin's filter reason, each on a pod in a real control plane", () => {
    // The control plane is built once into the user's cache (CI's e2e step built it before this one).
    scaffoldE2e(["--local"]);
  });

  it("tears the cluster down when Ctrl-C reaches podgate e2e: exit 130, no control-plane process left", async () => {
    // As a terminal sends it: SIGINT to the whole foreground process group (podgate, node --test). The
    // installed bin, not npx: npx itself dies of the signal at once, while podgate tears down behind it.
    const e2e = spawn(join(project, "node_modules/.bin/podgate"), ["e2e", "--local"], { cwd: project, env: userEnv(nodes["24"]!), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let log = "";
    e2e.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    e2e.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const exited = once(e2e, "exit");
    await waitFor("podgate e2e to start the cluster", 120_000, () => Promise.resolve(/kube-apiserver ready/.test(log)), () => assert.equal(e2e.exitCode, null, log));
    process.kill(-e2e.pid!, "SIGINT");
    const [code] = (await exited) as [number | null];
    assert.equal(code, 130, log);
    assert.match(log, /SIGINT: stopping the tests and tearing the cluster down/);
    const work = /work dir (\S+)/.exec(log)?.[1];
    assert.ok(work && !existsSync(work), `the work dir ${work} is removed`);
    const left = spawnSync("pgrep", ["-f", work]).stdout.toString().trim();
    assert.equal(left, "", `processes still running from ${work}:\n${left}`);
  });

  const kindSkip = process.getuid?.() === 0 || spawnSync("docker", ["version"]).status === 0 ? false : "--kind needs a Docker engine or root (offline: a private dockerd), and this machine has neither";
  it("runs the same e2e with npx podgate e2e --kind: the team-label pod Running on a kind node (kubelet, containerd), the scheduler in kind calling the extender", { skip: kindSkip }, () => {
    const out = scaffoldE2e(["--kind"]);
    assert.match(out, /creating kind cluster podgate-e2e-\w+ \(1 worker\)/);
    // Offline (no engine answered): the machine is left as it was found.
    if (/kind, offline/.test(out)) assert.match(out, /the machine is as it was before the cluster/);
  });

  it("starts its own cluster from a vitest file with startCluster(): the team-label pod Running with the label its webhook gave", async () => {
    const install = withNode(nodes["24"]!, project, "npm", ["install", ...NPM_FLAGS, "--no-save", "vitest@5"]);
    assert.equal(install.status, 0, explain(install));
    await mkdir(join(project, "e2e-vitest"));
    await writeFile(
      join(project, "e2e-vitest/team-label.test.ts"),
      `import { afterAll, beforeAll, expect, test } from "vitest";
import { startCluster, type Cluster } from "podgate/harness";

let cluster: Cluster;
beforeAll(async () => { cluster = await startCluster({ config: "podgate.yaml", quiet: true }); }, 15 * 60_000);
afterAll(() => cluster?.stop());

test("team-label labels a pod that then runs", async () => {
  const pod = { metadata: { name: "app" }, spec: { containers: [{ name: "app", image: cluster.image }] } };
  const running = await cluster.createPod(await cluster.namespace(), pod, { until: "running" });
  expect(running.metadata?.labels?.["team"]).toBe("platform");
}, 60_000);
`,
    );
    const vitest = withNode(nodes["24"]!, project, "npx", ["--no-install", "vitest", "run", "e2e-vitest"], 20 * 60_000);
    assert.equal(vitest.status, 0, explain(vitest));
    // eslint-disable-next-line no-control-regex -- vitest colours its summary even into a pipe
    assert.match(vitest.stdout.replace(/\x1b\[[0-9;]*m/g, ""), /Tests\s+1 passed \(1\)/, explain(vitest));
  });

  it("serves the scaffolded project: npx podgate serve -c podgate.yaml answers with the user's patch, denial and filter reason over HTTPS", async () => {
    const port = await freePort();
    const server = spawn("npx", ["--no-install", "podgate", "serve", "-c", "podgate.yaml", "--port", String(port), "--no-metrics"], {
      cwd: project,
      env: userEnv(nodes["22"]!),
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: npx runs podgate as a child, and the stop below must reach both.
      detached: true,
    });
    let log = "";
    server.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    server.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    try {
      await waitFor("podgate serving", 30_000, () => Promise.resolve(log.includes('"msg":"podgate serving"')), () => assert.equal(server.exitCode, null, log));
      const ca = await readFile(join(project, ".podgate/tls/ca.crt"), "utf8");
      const url = `https://127.0.0.1:${port}`;
      const object = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "shop" }, spec: { hostNetwork: true, containers: [{ name: "app", image: "nginx:1.27" }] } };
      const review = { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u-1", kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace: "shop", operation: "CREATE", object } };

      const mutated = (await post(`${url}/mutate/team-label`, ca, review)).json as { response: { patch: string } };
      assert.deepEqual(JSON.parse(Buffer.from(mutated.response.patch, "base64").toString()), [{ op: "add", path: "/metadata/labels", value: { team: "platform" } }]);

      const validated = (await post(`${url}/validate/policies`, ca, review)).json as { response: { allowed: boolean; status: { message: string } } };
      assert.equal(validated.response.allowed, false);
      assert.match(validated.response.status.message, /policy no-host-network: hostNetwork is not allowed/);
      assert.match(validated.response.status.message, /policy require-team-label: pods must have a team label/);

      const node = { metadata: { name: "ml-1", labels: { "example.com/team": "ml" } }, status: { allocatable: { cpu: "4", memory: "8Gi", pods: "110" } } };
      const pod = { ...object, metadata: { ...object.metadata, labels: { team: "shop" } } };
      const filtered = (await post(`${url}/extender/filter`, ca, { Pod: pod, Nodes: { items: [node] } })).json as { FailedNodes: Record<string, string> };
      assert.deepEqual(filtered.FailedNodes, { "ml-1": "node is reserved for team ml" });
    } finally {
      const exited = once(server, "exit");
      process.kill(-server.pid!, "SIGTERM");
      await exited;
    }
  });
});

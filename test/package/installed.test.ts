// podgate as a user gets it: `npm pack`, the tarball installed into a fresh
// project outside the repository (its dependencies from the registry, as
// usual), run on the Node LTS lines users have. Node 22 and 24 come from the
// `node` npm package into .cache/node-lts/, as the repository's own Node 24 does.
import assert from "node:assert/strict";
import { execFileSync, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PACKAGE_ROOT } from "../../src/package-root.ts";

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
  const bin = join(node, "..");
  return spawnSync(command, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` } });
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
  execFileSync("npm", ["install", ...NPM_FLAGS, tarball.file, "typescript@^6", "@types/node@^24"], { cwd: project, stdio: "inherit", env: { ...process.env, PATH: `${join(nodes["24"]!, "..")}:${process.env["PATH"] ?? ""}` } });
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
    const stray = files.filter((f) => /^(test|bench)\//.test(f) || /(^|\/)test\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.includes(".tsbuildinfo"));
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

  it("type-checks a user's webhook, policy, plugin and test against the shipped .d.ts", async () => {
    // skipLibCheck as \`tsc --init\` sets it (client-node's own types need @types/ws otherwise); the
    // lines marked ts-expect-error prove the types resolved: against \`any\` they would be unused, an error.
    await writeFile(
      join(project, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "es2024", module: "nodenext", strict: true, noEmit: true, types: ["node"], allowImportingTsExtensions: true, skipLibCheck: true }, include: ["*.ts"] }),
    );
    await writeFile(
      join(project, "check.ts"),
      `import { defineMutatingWebhook, definePolicy, definePlugin, deny, pod, z, type Pod } from "podgate";
import { admissionRequestFor, runWebhook, assertPatch } from "podgate/testing";

export const labels = defineMutatingWebhook({
  settings: z.strictObject({ team: z.string() }),
  object: pod,
  mutate({ object, settings }) {
    const p: Pod | null = object;
    if (p) p.metadata.labels = { ...p.metadata.labels, team: settings.team };
  },
});
export const policy = definePolicy({ name: "no-host-network", validate: ({ object }) => (object?.spec?.hostNetwork ? "hostNetwork is not allowed" : undefined) });
export const plugin = definePlugin({
  name: "gpu-only",
  description: "",
  settings: z.strictObject({}),
  create: () => ({ filter: (_pod, node) => (node.labels["gpu"] ? undefined : { reason: "no gpu" }) }),
});
export const denial = deny("no");
// @ts-expect-error a denial's message is a string
deny(42);
defineMutatingWebhook({
  settings: z.strictObject({ team: z.string() }),
  // @ts-expect-error settings are typed by their schema
  mutate: ({ settings }) => void settings.team.toFixed(),
});
const result = await runWebhook(labels, admissionRequestFor({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: { containers: [] } }), { settings: { team: "a" } });
assertPatch(result, [{ op: "add", path: "/metadata/labels", value: { team: "a" } }]);
`,
    );
    const tsc = withNode(nodes["24"]!, project, "npx", ["--no-install", "tsc", "-p", "."]);
    assert.equal(tsc.status, 0, explain(tsc));
    const run = withNode(nodes["22"]!, project, "node", ["check.ts"]);
    assert.equal(run.status, 0, explain(run));
  });
});

// `podgate serve` picks up edits to its config, its policy files and its
// modules (and the local files they import) while it serves, with no failed
// request: a valid edit is swapped in between requests; a broken one keeps the
// previous config serving, with each problem in the log and in /readyz; a
// change only a restart applies (the port) is refused whole. Real HTTPS on
// loopback, the real command, a client sending reviews throughout.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { podReview } from "../support/admission.ts";
import { call, post } from "../../src/harness/https.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const INDEX = new URL("../../src/index.ts", import.meta.url).pathname;

const config = (tlsDir: string, port = 0) => `server:
  port: ${port}
  tlsDir: ${tlsDir}
  metrics: {port: 0}
  reload: {intervalSeconds: 0.1}
admission:
  mutating:
    - {name: stamp, module: stamp.ts}
  validating:
    - {name: policy, type: policy, settings: {files: [policies], modules: [team.ts]}}
`;
const celPolicy = (forbidden: string) => `apiVersion: podgate.dev/v1alpha1
kind: Policy
metadata: {name: no-forbidden-tier}
spec:
  matchConstraints: {resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [pods]}]}
  validations:
    - expression: "object.metadata.?labels.tier.orValue('') != '${forbidden}'"
      message: "tier ${forbidden} is not allowed"
`;
const limits = (max: number, stamp: string) => `export const MAX_CONTAINERS = ${max};\nexport const STAMP = "${stamp}";\n`;
const TEAM = `import { definePolicy } from ${JSON.stringify(INDEX)};
import { MAX_CONTAINERS } from "./limits.ts";
export default definePolicy({
  name: "max-containers",
  validate: ({ object }) => ((object as any).spec.containers.length > MAX_CONTAINERS ? \`at most \${MAX_CONTAINERS} containers\` : undefined),
});
`;
const STAMP = `import { defineMutatingWebhook } from ${JSON.stringify(INDEX)};
import { STAMP } from "./limits.ts";
export default defineMutatingWebhook({ mutate: ({ object }) => { (object as any).metadata.annotations = { stamp: STAMP }; } });
`;

const review = (name: string, tier: string, containers = 1) =>
  podReview({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { tier } },
    spec: { containers: Array.from({ length: containers }, (_, i) => ({ name: `c${i}`, image: "registry.k8s.io/pause:3.10" })) },
  });

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("a config edited while podgate serves", () => {
  let dir: string;
  let child: ChildProcessWithoutNullStreams;
  let url: string;
  let metricsUrl: string;
  let ca: string;
  let log = "";
  const load = { sent: 0, failed: [] as string[], running: true };
  let loadDone: Promise<void>;

  /** Replaced, not rewritten, as editors and ConfigMap volumes do. */
  const replace = async (name: string, text: string) => {
    await writeFile(join(dir, `${name}.tmp`), text);
    await rename(join(dir, `${name}.tmp`), join(dir, name));
  };
  const validate = async (tier: string, containers = 1) => (await post(`${url}/validate`, ca, review(`check-${tier}-${containers}`, tier, containers))).json.response;
  const metric = async (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec((await fetch(metricsUrl).then((r) => r.text())))?.[1]);
  const logLines = () => log.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "podgate-reload-"));
    await writeFile(join(dir, "package.json"), '{"type": "module"}\n');
    await writeFile(join(dir, "podgate.yaml"), config(join(dir, "tls")));
    await mkdir(join(dir, "policies"));
    await writeFile(join(dir, "policies", "tier.yaml"), celPolicy("gold"));
    await writeFile(join(dir, "limits.ts"), limits(2, "one"));
    await writeFile(join(dir, "team.ts"), TEAM);
    await writeFile(join(dir, "stamp.ts"), STAMP);
    child = spawn(process.execPath, [CLI, "serve", "--config", join(dir, "podgate.yaml")], { stdio: ["pipe", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (log += chunk.toString()));
    const serving = await until("podgate serving", () => logLines().find((l) => l["msg"] === "podgate serving"));
    url = String(serving["url"]);
    metricsUrl = String(serving["metrics"]);
    ca = await readFile(join(dir, "tls", "ca.crt"), "utf8");
    // Reviews from two clients for the whole test: none may fail, whatever is reloading.
    const client = async (id: number) => {
      for (let i = 0; load.running; i++) {
        load.sent++;
        try {
          const reply = await post(`${url}/mutate/stamp`, ca, review(`load-${id}-${i}`, "silver"));
          const checked = await post(`${url}/validate`, ca, review(`load-${id}-${i}`, "silver"));
          if (reply.status !== 200 || !reply.json.response.allowed || checked.status !== 200 || !checked.json.response.allowed) load.failed.push(`${reply.status} ${checked.status} ${checked.text.slice(0, 200)}`);
        } catch (error) {
          load.failed.push((error as Error).message);
        }
      }
    };
    loadDone = Promise.all([client(0), client(1)]).then(() => undefined);
  });

  after(async () => {
    load.running = false;
    await loadDone;
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the new policy file's rule once the file changes, generation 1", async () => {
    assert.equal((await validate("gold")).allowed, false);
    await replace("policies/tier.yaml", celPolicy("bronze"));
    await until("the edited policy served", async () => ((await validate("gold")).allowed ? true : undefined));
    assert.equal((await validate("bronze")).status.message, "policy no-forbidden-tier: tier bronze is not allowed");
    assert.equal(await metric("podgate_config_generation"), 1);
    assert.ok(logLines().some((l) => l["msg"] === "config reloaded" && l["generation"] === 1));
  });

  it("a policy file added to a watched directory is served too", async () => {
    await writeFile(join(dir, "policies", "also.yaml"), celPolicy("iron").replace("no-forbidden-tier", "no-iron"));
    await until("the new file's policy served", async () => ((await validate("iron")).allowed ? undefined : true));
  });

  it("reloads the modules and the local file they import: the TypeScript policy and the mutating module see the new values", async () => {
    assert.equal((await validate("silver", 3)).status.message, "policy max-containers: at most 2 containers");
    const before = await post(`${url}/mutate/stamp`, ca, review("stamp-1", "silver"));
    assert.match(Buffer.from(before.json.response.patch, "base64").toString(), /"one"/);
    await replace("limits.ts", limits(4, "two"));
    await until("the module policy's new limit", async () => ((await validate("silver", 3)).allowed ? true : undefined));
    assert.equal((await validate("silver", 5)).status.message, "policy max-containers: at most 4 containers");
    const after = await post(`${url}/mutate/stamp`, ca, review("stamp-2", "silver"));
    assert.match(Buffer.from(after.json.response.patch, "base64").toString(), /"two"/);
  });

  it("a broken edit keeps the previous policies serving, with every problem in the log and /readyz, and the metric at 0", async () => {
    const generation = await metric("podgate_config_generation");
    await replace("policies/tier.yaml", celPolicy("bronze").replace("validations:", "validatons:"));
    const problem = await until("the reload error in the log", () => logLines().find((l) => typeof l["problem"] === "string" && String(l["problem"]).includes("validatons")));
    assert.match(String(problem["problem"]), /admission\.validating\[0\]\.settings.*spec\.validatons: unknown key/);
    assert.equal(problem["level"], 50);
    assert.equal((await validate("bronze")).allowed, false, "the previous policy still denies");
    const ready = await call(`${url}/readyz`, { ca });
    assert.equal(ready.status, 200, "still ready: a broken ConfigMap must not take every replica out of the Service");
    assert.match(ready.text, /^ok\nconfig: the changed config is invalid; serving generation \d+, loaded before it: .*validatons: unknown key/);
    assert.equal(await metric("podgate_config_last_reload_successful"), 0);
    assert.equal(await metric("podgate_config_generation"), generation, "the served generation is unchanged");

    await replace("policies/tier.yaml", celPolicy("lead"));
    await until("the fixed policy served", async () => ((await validate("lead")).allowed ? undefined : true));
    assert.equal((await call(`${url}/readyz`, { ca })).text, "ok");
    assert.equal(await metric("podgate_config_last_reload_successful"), 1);
  });

  it("a change only a restart applies (the port) is refused whole: the admission edit beside it waits too", async () => {
    await replace("podgate.yaml", config(join(dir, "tls"), 18443).replace("{files: [policies]", "{files: [policies/tier.yaml]"));
    const problem = await until("the restart-required error", () => logLines().find((l) => typeof l["problem"] === "string" && l["problem"].startsWith("server.port: changed")));
    assert.match(String(problem["msg"]), /needs a restart; still serving the previous one/);
    assert.equal((await validate("iron")).allowed, false, "the policy of the dropped file still serves: nothing was half-applied");
    assert.match((await call(`${url}/readyz`, { ca })).text, /config: the changed config needs a restart/);
  });

  it("no review failed while all of it was reloaded", async () => {
    load.running = false;
    await loadDone;
    assert.ok(load.sent > 50, `the load ran throughout (${load.sent} pairs)`);
    assert.deepEqual(load.failed, []);
  });
});

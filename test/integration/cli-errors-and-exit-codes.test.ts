// The podgate command's documented exit codes (README: 0 success, 1 runtime
// failure or a failed check, 2 bad usage or invalid config), one test per code
// and command that had it wrong; usage errors print the error and one line on
// where the help is; commands that need a cluster refuse clearly without one.
// Runs the sources (src/cli.ts), not a possibly stale build.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;
const LIBRARY_TESTS = new URL("../../policies/library/tests/best-practices", import.meta.url).pathname;
const MISMATCH = new URL("../fixtures/policy/mismatch", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "podgate-cli-codes-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** No cluster anywhere: not in a pod, no KUBECONFIG, a HOME without ~/.kube. */
const noCluster = () => {
  const { KUBERNETES_SERVICE_HOST: _host, KUBECONFIG: _kubeconfig, ...env } = process.env;
  return { ...env, HOME: dir };
};
const run = (args: string[], env: NodeJS.ProcessEnv = noCluster()) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 60_000, env });

function suite(name: string, body: string): string {
  const at = join(dir, name);
  mkdirSync(at, { recursive: true });
  writeFileSync(join(at, "resources.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: nginx:1}]}\n");
  writeFileSync(join(at, "podgate-test.yaml"), `apiVersion: podgate.dev/v1alpha1\nkind: PolicyTest\nmetadata: {name: ${name}}\nresources: [resources.yaml]\n${body}`);
  return at;
}

describe("podgate test exit codes", () => {
  it("0 when every suite passes", () => assert.equal(run(["test", LIBRARY_TESTS]).status, 0));
  it("1 on a verdict mismatch", () => assert.equal(run(["test", MISMATCH]).status, 1));
  it("2 on an invalid suite", () => {
    const result = run(["test", suite("invalid", "results: [{policy: x, resources: [p], result: maybe}]\n")]);
    assert.equal(result.status, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /ERROR/);
  });
  it("2 on a module that cannot load", () => {
    writeFileSync(join(dir, "broken.ts"), "export default definePolicy(;\n");
    const result = run(["test", suite("module", "modules: [../broken.ts]\nresults: [{policy: x, resources: [p], result: pass}]\n")]);
    assert.equal(result.status, 2, result.stdout + result.stderr);
    assert.match(result.stdout, /cannot load module/);
  });
  it("2 on a path that does not exist", () => assert.equal(run(["test", join(dir, "absent")]).status, 2));
});

describe("usage errors", () => {
  it("print the error and one line on where the help is, not the whole help; exit 2", () => {
    for (const [args, help] of [
      [["serve", "--port", "http"], "(podgate serve --help shows the usage)"],
      [["test", "--bogus", "x"], "(podgate test --help shows the usage)"],
      [["frobnicate"], "(podgate --help shows the usage)"],
      [["export", "webhooks", "--url", "https://x", "--service", "a/b"], "(podgate export webhooks --help shows the usage)"],
    ] as const) {
      const result = run([...args]);
      assert.equal(result.status, 2, args.join(" "));
      const lines = result.stderr.trim().split("\n");
      assert.equal(lines.length, 2, `${args.join(" ")}:\n${result.stderr}`);
      assert.equal(lines[1], help);
    }
  });
});

describe("certs generate hostnames", () => {
  it("refuses invalid hostnames, saying why, exit 2; accepts names, wildcards and IPs", () => {
    const bad = run(["certs", "generate", "--out", join(dir, "certs-bad"), "--hosts", "bad host!,*.x..y,a.*.b"]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /"bad host!" is not a DNS name or IP address: label "bad host!" must be 1-63 letters, digits and '-'/);
    assert.match(bad.stderr, /"\*\.x\.\.y" is not a DNS name or IP address: empty label/);
    assert.match(bad.stderr, /"a\.\*\.b" is not a DNS name or IP address: a wildcard is only allowed as the whole first label/);
    const good = run(["certs", "generate", "--out", join(dir, "certs-good"), "--hosts", "localhost,127.0.0.1,::1,*.podgate.svc,podgate.podgate.svc.cluster.local"]);
    assert.equal(good.status, 0, good.stderr);
  });
});

describe("export webhooks", () => {
  it("refuses a URL that is not https, exit 2", () => {
    const result = run(["export", "webhooks", "--url", "http://127.0.0.1:8443"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /the apiserver calls webhooks over HTTPS only \(http given\)/);
  });
  it("emits the MutatingWebhookConfiguration for the built-in mutators beside the validating one", () => {
    const result = run(["export", "webhooks", "--url", "https://127.0.0.1:8443"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^kind: MutatingWebhookConfiguration$/m);
    assert.match(result.stdout, /url: https:\/\/127\.0\.0\.1:8443\/mutate\/sidecar\/defaults$/m);
    assert.match(result.stdout, /reinvocationPolicy: Never/);
    assert.match(result.stdout, /^kind: ValidatingWebhookConfiguration$/m);
  });
});

describe("commands that need a cluster, without one", () => {
  it("serve with the extender's node cache refuses to start, naming what is missing (exit 1)", () => {
    const config = join(dir, "node-cache.yaml");
    writeFileSync(config, `server: {port: 0, tlsDir: ${join(dir, "tls")}, metrics: {enabled: false}, logLevel: silent}\nextender: {nodeCacheCapable: true}\n`);
    const result = run(["serve", "--config", config]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /nodeCacheCapable needs the Kubernetes API, but no kubeconfig could be loaded: no Kubernetes credentials: not in a pod \(KUBERNETES_SERVICE_HOST unset\) and no kubeconfig at .*\.kube\/config; pass --kubeconfig or set KUBECONFIG/);
  });
  it("serve with namespaces.watch refuses to start, naming what is missing (exit 1)", () => {
    const config = join(dir, "namespaces.yaml");
    writeFileSync(config, `server: {port: 0, tlsDir: ${join(dir, "tls")}, metrics: {enabled: false}, logLevel: silent}\nnamespaces: {watch: true}\n`);
    const result = run(["serve", "--config", config]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /namespaces\.watch needs the Kubernetes API, but no kubeconfig could be loaded: no Kubernetes credentials/);
  });
  it("certs bootstrap refuses clearly (exit 1)", () => {
    const result = run(["certs", "bootstrap", "--dry-run"]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(result.stderr, /^podgate: no Kubernetes credentials: not in a pod/m);
  });
});

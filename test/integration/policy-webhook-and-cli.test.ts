// The default config's policy webhook over real HTTPS, and the policy commands' exit codes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { registry } from "../../src/wiring.ts";
import { loadConfig } from "../../src/config/default.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { post } from "../../src/harness/https.ts";

let server: RunningServer;
let ca: string;

/** server.port must be >= 1 in the config schema, so borrow a free port from the OS first. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  const tlsDir = mkdtempSync(join(tmpdir(), "podgate-policy-tls-"));
  const config = await loadConfig({ serverOverrides: { port: await freePort(), tlsDir, logLevel: "silent", metrics: { enabled: false } } }, registry);
  server = await startServer(config);
  ca = readFileSync(join(tlsDir, "ca.crt"), "utf8");
});
after(() => server.close());

const POD = { kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" } };

function review(object: object, kind: object = POD, operation = "CREATE"): Promise<{ status: number; body: { response: Record<string, unknown> } }> {
  const body = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: "it-1", ...kind, namespace: "default", operation, object, ...(operation === "UPDATE" ? { oldObject: object } : {}) },
  };
  return post(`${server.url}/validate/policy`, ca, body).then(({ status, json }) => ({ status, body: json }));
}

const pod = (container: object) => ({ apiVersion: "v1", kind: "Pod", metadata: { generateName: "web-" }, spec: { containers: [{ name: "app", ...container }] } });

test("a privileged pod is denied over HTTPS with 403 and the policy's message", async () => {
  const { status, body } = await review(pod({ image: "nginx:1.27", securityContext: { privileged: true } }));
  assert.equal(status, 200);
  assert.equal(body.response["uid"], "it-1");
  assert.equal(body.response["allowed"], false);
  assert.deepEqual(body.response["status"], { code: 403, message: "policy pss-baseline-privileged: privileged: container \"app\" must not set securityContext.privileged=true", reason: "Forbidden" });
});

test("a :latest image is allowed with a warning", async () => {
  const { body } = await review(pod({ image: "nginx:latest" }));
  assert.equal(body.response["allowed"], true);
  assert.deepEqual(body.response["warnings"], ["policy disallow-latest-tag: images must have a tag other than :latest or a digest: nginx:latest"]);
});

const HOST_NETWORK_DEPLOYMENT = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      hostNetwork: true\n      containers: [{name: app, image: x:1}]\n";

test("a Deployment whose pod template breaks a pod policy is denied when served, naming the template, on CREATE and UPDATE", async () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default" },
    spec: { template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "x:1", securityContext: { privileged: true } }] } } },
  };
  const kind = { kind: { group: "apps", version: "v1", kind: "Deployment" }, resource: { group: "apps", version: "v1", resource: "deployments" } };
  for (const operation of ["CREATE", "UPDATE"]) {
    const { body } = await review(deployment, kind, operation);
    assert.equal(body.response["allowed"], false, operation);
    assert.deepEqual(body.response["status"], { code: 403, message: 'policy pss-baseline-privileged: spec.template: privileged: container "app" must not set securityContext.privileged=true', reason: "Forbidden" });
  }
  const { body } = await review({ ...deployment, spec: { template: { spec: { containers: [{ name: "app", image: "x:1" }] } } } }, kind);
  assert.equal(body.response["allowed"], true);
});

const cli = (...args: string[]) => spawnSync(process.execPath, [new URL("../../src/cli.ts", import.meta.url).pathname, ...args], { encoding: "utf8" });

test("podgate test exits 0 on the library, 1 on a mismatch (and writes JUnit), 2 on a missing path", () => {
  const ok = cli("test", new URL("../../policies/library/tests", import.meta.url).pathname);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^97 passed, 0 failed$/m);
  const junit = join(mkdtempSync(join(tmpdir(), "podgate-junit-")), "out.xml");
  const bad = cli("test", new URL("../fixtures/policy/mismatch", import.meta.url).pathname, "--junit", junit);
  assert.equal(bad.status, 1);
  assert.match(readFileSync(junit, "utf8"), /<testsuites>/);
  assert.equal(cli("test", "/no/such/dir").status, 2);
});

test("podgate apply exits 1 when a manifest would be denied, naming the template; a broken policy file exits 2", () => {
  const denied = spawnSync(process.execPath, [new URL("../../src/cli.ts", import.meta.url).pathname, "apply", "-l", "pss-baseline", "-f", "-"], {
    encoding: "utf8",
    input: HOST_NETWORK_DEPLOYMENT,
  });
  assert.equal(denied.status, 1, denied.stderr);
  assert.match(denied.stdout, /Deployment default\/web \(spec\.template\): DENIED \(403\)/);
  const broken = cli("apply", "-p", new URL("../fixtures/policy/bad-policies.yaml", import.meta.url).pathname, "-f", "-");
  assert.equal(broken.status, 2);
  assert.match(broken.stderr, /spec\.validations\[2\]\.expression: .*line 2, column 13/);
});

// With server.clientCA set, every route the server has — enumerated from the
// running app, not listed here — refuses a client without the certificate,
// whatever the extender's urlPrefix and the webhooks' names; only the probes
// answer. (The gate used to be a regex over URL text naming /extender, so a
// renamed extender's bind answered anyone.)
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createCa } from "../../src/certs/generate.ts";
import { extensionsFor, registry } from "../../src/wiring.ts";
import { parseConfig } from "../../src/config/load.ts";
import { startServer, type RunningServer } from "../../src/server/serve.ts";
import { fixture } from "../support/fixtures.ts";
import { call } from "../../src/harness/https.ts";

/** Full paths and methods from Fastify's route tree (printRoutes nests by four columns per level). */
function routesOf(tree: string): { path: string; methods: string[] }[] {
  const stack: string[] = [];
  const routes: { path: string; methods: string[] }[] = [];
  for (const line of tree.split("\n")) {
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? "") + match[2]!;
    stack.push(path);
    if (match[3]) routes.push({ path, methods: match[3].split(", ") });
  }
  return routes;
}

const PROBES = new Set(["/healthz", "/readyz"]);

for (const urlPrefix of ["/scheduler", "/extender", "/a/b"]) {
  describe(`client certificate gate, extender at ${urlPrefix}`, () => {
    let dir: string;
    let server: RunningServer;
    let ca: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "podgate-gate-"));
      const clientCa = createCa({ commonName: "apiserver-client-ca" });
      await writeFile(join(dir, "client-ca.crt"), clientCa.cert);
      // bind needs a kubeconfig at start; nothing listens there, and no call may get that far.
      await writeFile(
        join(dir, "kubeconfig"),
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
      );
      const config = parseConfig(
        `server: {port: 0, tlsDir: ${join(dir, "tls")}, clientCA: ${join(dir, "client-ca.crt")}, logLevel: silent, metrics: {enabled: false}}
extender: {urlPrefix: ${urlPrefix}, kubeconfig: ${join(dir, "kubeconfig")}, bind: {enabled: true}}
admission:
  mutating: [{name: odd-name, type: defaults}]
  validating: [{name: my-policy, type: policy, settings: {library: [disallow-latest-tag]}}]`,
        registry,
      );
      server = await startServer(config, extensionsFor(config));
      ca = await readFile(join(dir, "tls", "ca.crt"), "utf8");
    });
    after(async () => {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    });

    it("refuses every route but the probes without a client certificate", async () => {
      const routes = routesOf(server.app.printRoutes({ commonPrefix: false }));
      const deciding = routes.filter((r) => !PROBES.has(r.path));
      assert.ok(deciding.some((r) => r.path === `${urlPrefix}/bind`), `bind is served at ${urlPrefix}/bind`);
      assert.ok(deciding.length >= 7, JSON.stringify(routes));
      const body = JSON.stringify(fixture("admission/create-pod.json"));
      for (const { path, methods } of deciding) {
        for (const name of ["odd-name", "my-policy", "no-such-webhook"]) {
          // A wildcard route (/mutate/<name>...) prints as "/mutate*".
          const url = `${server.url}${path.replace(":name", name).replace(/\/?\*$/, `/${name}`)}`;
          for (const method of methods) {
            const res = await call(`${url}?timeout=10s`, { ca, method, ...(method === "POST" ? { body } : {}) });
            assert.equal(res.status, 401, `${method} ${url}: ${res.text}`);
          }
        }
      }
      for (const probe of PROBES) assert.equal((await call(`${server.url}${probe}`, { ca })).status, 200, probe);
    });
  });
}

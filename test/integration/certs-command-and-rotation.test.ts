import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DirectoryStore } from "../../src/certs/directory.ts";
import { fingerprints, issuedBy } from "../../src/certs/inspect.ts";
import { reconcile } from "../../src/certs/reconcile.ts";
import { peerCertificate } from "../../src/kube/replicas.ts";
import { DAY } from "../support/certs.ts";
import { startTestServer } from "../support/server.ts";

const BIN = new URL("../../bin/podgate.js", import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });

describe("podgate certs generate", () => {
  it("writes a CA and a serving certificate once, then changes nothing on a second run", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-certs-"));
    try {
      const first = run("certs", "generate", "--out", dir, "--service", "podgate", "--namespace", "infra", "--hosts", "localhost");
      assert.equal(first.status, 0, first.stderr);
      assert.match(first.stdout, /^changed: directory .*: created$/m);
      const serving = new X509Certificate(await readFile(join(dir, "tls.crt")));
      assert.ok(serving.checkHost("podgate.infra.svc"));
      assert.ok(serving.checkHost("localhost"));
      assert.ok(issuedBy(serving, new X509Certificate(await readFile(join(dir, "ca.crt")))));
      assert.equal((await stat(join(dir, "ca.key"))).mode & 0o077, 0, "CA key private");
      const before = await readFile(join(dir, "tls.crt"), "utf8");
      const second = run("certs", "generate", "--out", dir, "--service", "podgate", "--namespace", "infra", "--hosts", "localhost");
      assert.equal(second.status, 0);
      assert.equal(second.stdout, "nothing to change: the certificates and caBundles are already right\n");
      assert.equal(await readFile(join(dir, "tls.crt"), "utf8"), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 naming the flag when the flags make no sense", () => {
    const noHosts = run("certs", "generate", "--out", "/tmp/x");
    assert.equal(noHosts.status, 2);
    assert.match(noHosts.stderr, /--hosts: name at least one host/);
    const window = run("certs", "generate", "--out", "/tmp/x", "--hosts", "a", "--renew-before-days", "400");
    assert.equal(window.status, 2);
    assert.match(window.stderr, /--renew-before-days: must be less than servingValidityDays \(365\)/);
    assert.equal(run("certs", "generate", "--out", "/tmp/x", "--hosts", "a", "--serving-validity-days", "soon").status, 2);
  });
});

describe("CA rotation against a running server", () => {
  it("keeps the old CA in the bundle until the server serves a certificate from the new one, then drops it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-rotation-"));
    const policy = { hosts: ["localhost", "127.0.0.1"], caValidityDays: 3650, servingValidityDays: 365, renewBeforeDays: 30 };
    const store = new DirectoryStore(dir);
    await reconcile({ store, policy });
    const server = await startTestServer({ tlsDir: dir });
    try {
      const port = Number(new URL(server.url).port);
      const probe = async () => [await peerCertificate("127.0.0.1", port, "localhost")];
      const oldCa = (await store.read())!.data.ca!;
      // Ten years less a year: the CA is due for rotation. The server has not reloaded yet when the reconcile probes it.
      const later = () => new Date(Date.now() + (3650 - 390) * DAY);
      const rotation = await reconcile({ store, policy, probe, now: later });
      const { data } = (await store.read())!;
      assert.notEqual(data.ca, oldCa);
      assert.deepEqual(fingerprints(data.bundle!), [...fingerprints(data.ca!), ...fingerprints(oldCa)]);
      assert.match(rotation.notes.join("\n"), /previous CA kept/);

      assert.equal(await server.running.reloadTls(), true, "the server picks the rotated files up without a restart");
      assert.ok(issuedBy((await probe())[0]!, new X509Certificate(data.ca!)));
      const done = await reconcile({ store, policy, probe, now: later });
      assert.match(done.changes.join("\n"), /dropped from the bundle: every replica serves a certificate from the current CA/);
      assert.deepEqual(fingerprints((await store.read())!.data.bundle!), fingerprints(data.ca!));
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

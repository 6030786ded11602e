import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ensureLocalCertificates, loadTls } from "../../../src/server/tls.ts";

describe("local serving certificates", () => {
  it("generates a CA and a serving certificate for loopback that chain and match", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-tls-"));
    try {
      assert.equal(await ensureLocalCertificates(dir), true);
      const ca = new X509Certificate(await readFile(join(dir, "ca.crt")));
      const material = await loadTls(dir);
      const serving = new X509Certificate(material.cert);
      assert.ok(serving.verify(ca.publicKey), "serving certificate is signed by the CA");
      assert.ok(serving.checkIssued(ca));
      assert.equal(ca.ca, true);
      assert.equal(serving.ca, false);
      assert.match(serving.subjectAltName ?? "", /DNS:localhost/);
      assert.match(serving.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
      assert.ok(serving.checkIP("127.0.0.1"));
      const days = (Date.parse(serving.validTo) - Date.now()) / 86_400_000;
      assert.ok(days > 360 && days <= 366, `serving certificate valid ${days} days`);
      assert.equal((await stat(join(dir, "tls.key"))).mode & 0o077, 0, "private key is not readable by others");
      assert.notEqual(serving.serialNumber, ca.serialNumber);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("leaves an existing certificate alone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-tls-"));
    try {
      await ensureLocalCertificates(dir);
      const before = await readFile(join(dir, "tls.crt"), "utf8");
      assert.equal(await ensureLocalCertificates(dir), false);
      assert.equal(await readFile(join(dir, "tls.crt"), "utf8"), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a key that does not match the certificate, naming the file", async () => {
    const a = await mkdtemp(join(tmpdir(), "podgate-tls-"));
    const b = await mkdtemp(join(tmpdir(), "podgate-tls-"));
    try {
      await ensureLocalCertificates(a);
      await ensureLocalCertificates(b);
      await writeFile(join(a, "tls.key"), await readFile(join(b, "tls.key")));
      await assert.rejects(loadTls(a), /tls\.key: does not match/);
      await writeFile(join(a, "tls.crt"), "not a certificate");
      await assert.rejects(loadTls(a), /tls\.crt: not a PEM certificate/);
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  });
});

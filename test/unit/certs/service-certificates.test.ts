import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { createCa, createServingCert, serviceHosts } from "../../../src/certs/generate.ts";
import { apply, decide } from "../../../src/certs/plan.ts";
import { issuedBy, subjectAltNames } from "../../../src/certs/inspect.ts";
import { DAY, POLICY } from "../../support/certs.ts";

const days = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / DAY;

describe("certificates for podgate's Service", () => {
  const now = new Date("2026-01-10T12:00:00Z");
  const stored = apply({}, decide({ stored: {}, now, webhooksTrustCa: true }, POLICY), POLICY, now);
  const ca = new X509Certificate(stored.ca!);
  const serving = new X509Certificate(stored.cert!);

  it("covers the four in-cluster names of the Service, and names the first", () => {
    assert.deepEqual(serviceHosts("podgate", "podgate-system"), ["podgate", "podgate.podgate-system", "podgate.podgate-system.svc", "podgate.podgate-system.svc.cluster.local"]);
    assert.deepEqual(subjectAltNames(serving), ["podgate", "podgate.podgate", "podgate.podgate.svc", "podgate.podgate.svc.cluster.local"]);
    assert.equal(serving.subject, "CN=podgate");
    assert.ok(serving.checkHost("podgate.podgate.svc"));
  });

  it("gives the CA 10 years and the serving certificate 1 year, backdated a few minutes for clock skew", () => {
    assert.ok(Math.abs(days(ca.validFrom, ca.validTo) - 3650) < 0.01, `CA valid ${days(ca.validFrom, ca.validTo)} days`);
    assert.ok(Math.abs(days(serving.validFrom, serving.validTo) - 365) < 0.01);
    assert.ok(Date.parse(serving.validFrom) < now.getTime() && Date.parse(serving.validFrom) > now.getTime() - 10 * 60 * 1000);
  });

  it("chains: the serving certificate is issued and signed by the CA, which is self-signed and a CA", () => {
    assert.ok(serving.checkIssued(ca));
    assert.ok(serving.verify(ca.publicKey));
    assert.ok(ca.verify(ca.publicKey));
    assert.equal(ca.ca, true);
    assert.equal(serving.ca, false);
    assert.match(serving.keyUsage?.join(",") ?? "", /1\.3\.6\.1\.5\.5\.7\.3\.1/, "extended key usage serverAuth");
    const other = new X509Certificate(createCa({ bits: 1024 }).cert);
    assert.equal(issuedBy(serving, other), false, "a different CA did not issue it");
  });

  it("stores the serving chain, the CA and a bundle that holds exactly the CA", () => {
    assert.equal(stored.cert!.split("BEGIN CERTIFICATE").length - 1, 2, "leaf + issuing CA");
    assert.equal(stored.bundle, stored.ca);
  });

  it("draws a different random positive serial for every certificate", () => {
    const caKeys = createCa({ bits: 1024 });
    const serials = new Set<string>([new X509Certificate(caKeys.cert).serialNumber]);
    for (let i = 0; i < 8; i++) serials.add(new X509Certificate(createServingCert({ ca: caKeys, hosts: ["a"], bits: 1024 }).cert).serialNumber);
    assert.equal(serials.size, 9);
    for (const serial of serials) assert.ok(Number.parseInt(serial.slice(0, 2), 16) < 0x80, `serial ${serial} is positive`);
  });
});

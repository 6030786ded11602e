import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { createCa } from "../../../src/certs/generate.ts";
import { fingerprints, issuedBy } from "../../../src/certs/inspect.ts";
import { apply, decide, differs, type StoredCertificates } from "../../../src/certs/plan.ts";
import { DAY, POLICY } from "../../support/certs.ts";

const T0 = new Date("2026-01-10T12:00:00Z");
const at = (days: number) => new Date(T0.getTime() + days * DAY);

/** Decide and apply as one step, with the webhooks trusting the CA unless said otherwise. */
function step(stored: StoredCertificates, now: Date, extra: { webhooksTrustCa?: boolean; replicasOnCa?: boolean } = {}) {
  const decision = decide({ stored, now, webhooksTrustCa: extra.webhooksTrustCa ?? true, ...(extra.replicasOnCa !== undefined ? { replicasOnCa: extra.replicasOnCa } : {}) }, POLICY);
  return { decision, next: apply(stored, decision, POLICY, now) };
}

const fresh = step({}, T0).next;

describe("renewal and rotation decisions", () => {
  it("creates a CA and a serving certificate when nothing is stored", () => {
    const { decision } = step({}, T0);
    assert.deepEqual(decision.ca, { kind: "create", reason: "no CA certificate" });
    assert.deepEqual(decision.serving, { kind: "issue", reason: "no serving certificate" });
  });

  it("changes nothing when everything is right (a second bootstrap is a no-op)", () => {
    const { decision, next } = step(fresh, at(1), { replicasOnCa: true });
    assert.deepEqual(decision, { ca: { kind: "keep" }, serving: { kind: "keep" }, retain: [], dropped: [] });
    assert.equal(differs(fresh, next), false);
  });

  it("renews the serving certificate at the start of the renewal window, not a day earlier", () => {
    // Serving notAfter is T0 + 365 days; the window is 30 days.
    assert.equal(step(fresh, at(365 - 31)).decision.serving.kind, "keep");
    const inside = step(fresh, at(365 - 30));
    assert.equal(inside.decision.serving.kind, "issue");
    assert.match((inside.decision.serving as { reason: string }).reason, /within the 30-day renewal window/);
    assert.equal(inside.decision.ca.kind, "keep", "the CA stays");
    const renewed = new X509Certificate(inside.next.cert!);
    assert.ok(Date.parse(renewed.validTo) > at(365 + 300).getTime());
    assert.equal(inside.next.ca, fresh.ca);
    assert.ok(issuedBy(renewed, new X509Certificate(fresh.ca!)));
  });

  it("reissues when the Service names change, the key does not match, or the file is not a certificate", () => {
    const wider = { ...POLICY, hosts: [...POLICY.hosts, "podgate.example.com"] };
    const decision = decide({ stored: fresh, now: at(1), webhooksTrustCa: true }, wider);
    assert.deepEqual(decision.serving, { kind: "issue", reason: "serving certificate does not cover podgate.example.com" });
    const other = step({}, T0).next;
    assert.deepEqual(step({ ...fresh, key: other.key! }, at(1)).decision.serving, { kind: "issue", reason: "tls.key does not match tls.crt" });
    assert.deepEqual(step({ ...fresh, cert: "garbage" }, at(1)).decision.serving, { kind: "issue", reason: "tls.crt is not a PEM certificate" });
  });

  it("replaces a CA whose key is lost or mismatched, keeping the old one trusted meanwhile", () => {
    const other = createCa({ bits: 1024 });
    const { decision, next } = step({ ...fresh, caKey: other.key }, at(1));
    assert.deepEqual(decision.ca, { kind: "create", reason: "ca.key does not match ca.crt" });
    assert.equal(decision.serving.kind, "wait");
    assert.deepEqual(fingerprints(next.bundle!), [...fingerprints(next.ca!), ...fingerprints(fresh.ca!)]);
  });

  it("rotates a CA in steps: trust new + old, then serve from the new once webhooks trust it, then drop the old once replicas serve it", () => {
    // The CA has 10 years; it is rotated once fewer than 365 + 30 days remain.
    assert.equal(step(fresh, at(3650 - 396)).decision.ca.kind, "keep");
    // Start from a serving certificate renewed shortly before the CA window, so it is still good.
    const renewedLate = step(fresh, at(3650 - 400)).next;
    assert.equal(renewedLate.ca, fresh.ca, "serving certificate renewed, same CA");
    assert.notEqual(renewedLate.cert, fresh.cert);

    let state = step(renewedLate, at(3650 - 390));
    assert.equal(state.decision.ca.kind, "create");
    assert.match((state.decision.ca as { reason: string }).reason, /sooner than a new serving certificate would/);
    assert.equal(state.decision.serving.kind, "wait", "old serving certificate is still good: keep it until the new CA is trusted");
    assert.equal(state.next.cert, renewedLate.cert);
    const rotated = state.next;
    assert.deepEqual(fingerprints(rotated.bundle!), [...fingerprints(rotated.ca!), ...fingerprints(renewedLate.ca!)], "bundle: new CA first, old CA kept");

    // Webhooks not yet patched: still wait.
    assert.equal(step(rotated, at(3650 - 390), { webhooksTrustCa: false }).decision.serving.kind, "wait");
    // Webhooks trust the new CA: issue from it, old CA still in the bundle (replicas have not reloaded).
    state = step(rotated, at(3650 - 390), { webhooksTrustCa: true });
    assert.deepEqual(state.decision.serving, { kind: "issue", reason: "serving certificate was not issued by the current CA" });
    assert.equal(state.decision.retain.length, 1);
    const served = state.next;
    assert.ok(issuedBy(new X509Certificate(served.cert!), new X509Certificate(rotated.ca!)));

    // Replicas unknown or still on the old certificate: the old CA stays.
    assert.equal(step(served, at(3650 - 389)).decision.retain.length, 1);
    assert.equal(step(served, at(3650 - 389), { replicasOnCa: false }).decision.retain.length, 1);
    // Every replica serves from the new CA: the old one leaves the bundle.
    state = step(served, at(3650 - 389), { replicasOnCa: true });
    assert.equal(state.decision.dropped.length, 1);
    assert.match(state.decision.dropped[0]!.reason, /every replica serves/);
    assert.deepEqual(fingerprints(state.next.bundle!), fingerprints(rotated.ca!));
  });

  it("drops an expired previous CA whatever the replicas report", () => {
    const oldCa = createCa({ bits: 1024, days: 10, now: T0 });
    const stored = { ...fresh, bundle: fresh.ca! + oldCa.cert };
    const { decision } = step(stored, at(11));
    assert.equal(decision.retain.length, 0);
    assert.match(decision.dropped[0]!.reason, /^expired at/);
  });
});

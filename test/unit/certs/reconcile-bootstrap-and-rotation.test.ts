import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { describe, it } from "node:test";
import { createCa, createServingCert } from "../../../src/certs/generate.ts";
import { fingerprints, issuedBy } from "../../../src/certs/inspect.ts";
import { reconcile, replicasOnCa } from "../../../src/certs/reconcile.ts";
import { DAY, MemoryStore, MemoryWebhooks, POLICY } from "../../support/certs.ts";

const T0 = new Date("2026-01-10T12:00:00Z");
const clock = (days: number) => () => new Date(T0.getTime() + days * DAY);
const WEBHOOKS = ["sidecar.podgate.io", "defaults.podgate.io", "policy.podgate.io"];

describe("reconcile: bootstrap and rotation against a store and webhook configurations", () => {
  it("bootstraps from nothing, then a second run changes nothing and writes nothing", async () => {
    const store = new MemoryStore();
    const targets = new MemoryWebhooks();
    const first = await reconcile({ store, targets, policy: POLICY, now: clock(0) });
    assert.deepEqual(first.changes, [
      "memory store: created",
      "new CA: no CA certificate",
      "new serving certificate: no serving certificate",
      "MutatingWebhookConfiguration podgate: caBundle set on sidecar.podgate.io, defaults.podgate.io",
      "ValidatingWebhookConfiguration podgate: caBundle set on policy.podgate.io",
    ]);
    for (const name of WEBHOOKS) assert.equal(targets.bundleOf(name), store.data!.ca);
    assert.equal(first.bundle, store.data!.ca);

    const before = structuredClone(store.data);
    const second = await reconcile({ store, targets, policy: POLICY, now: clock(1) });
    assert.deepEqual(second.changes, []);
    assert.equal(store.writes, 1);
    assert.equal(targets.patches.length, 2);
    assert.deepEqual(store.data, before);
  });

  it("repairs only what is wrong: a webhook whose caBundle was wiped", async () => {
    const store = new MemoryStore();
    const targets = new MemoryWebhooks();
    await reconcile({ store, targets, policy: POLICY, now: clock(0) });
    delete targets.configs[1]!.webhooks[0]!.caBundle;
    const result = await reconcile({ store, targets, policy: POLICY, now: clock(0) });
    assert.deepEqual(result.changes, ["ValidatingWebhookConfiguration podgate: caBundle set on policy.podgate.io"]);
    assert.equal(store.writes, 1);
  });

  it("a dry run reports the first step and writes nothing", async () => {
    const store = new MemoryStore();
    const targets = new MemoryWebhooks();
    const result = await reconcile({ store, targets, policy: POLICY, now: clock(0), dryRun: true });
    assert.equal(result.changes[0], "memory store: created");
    assert.equal(store.data, undefined);
    assert.equal(targets.patches.length, 0);
  });

  it("rotates the CA: webhooks trust new + old before any replica serves from the new CA; the old CA leaves once replicas confirm", async () => {
    const events: string[] = [];
    const store = new MemoryStore(events);
    const targets = new MemoryWebhooks(events);
    await reconcile({ store, targets, policy: POLICY, now: clock(0) });
    const oldCa = store.data!.ca!;
    // Years of serving-certificate renewals later, the last one before the CA's own window.
    assert.deepEqual((await reconcile({ store, targets, policy: POLICY, now: clock(3650 - 400) })).changes.slice(1), [
      `new serving certificate: serving certificate expired at ${new Date(T0.getTime() + 365 * DAY).toISOString()}`,
    ]);
    assert.equal(store.data!.ca, oldCa);
    let served: X509Certificate[] = [new X509Certificate(store.data!.cert!), new X509Certificate(store.data!.cert!)];
    const probe = () => Promise.resolve(served);
    events.length = 0;

    const rotation = await reconcile({ store, targets, probe, policy: POLICY, now: clock(3650 - 390) });
    const newCa = store.data!.ca;
    assert.notEqual(newCa, oldCa);
    // 1: Secret with the new CA (old serving cert kept), 2: webhooks patched, 3: serving cert from the new CA.
    assert.deepEqual(events, ["write", "patch MutatingWebhookConfiguration", "patch ValidatingWebhookConfiguration", "write"]);
    assert.ok(issuedBy(new X509Certificate(store.data!.cert!), new X509Certificate(newCa)));
    for (const name of WEBHOOKS) assert.deepEqual(fingerprints(targets.bundleOf(name)), [...fingerprints(newCa), ...fingerprints(oldCa)]);
    assert.deepEqual(rotation.notes, ["previous CA kept in the bundle until every replica serves a certificate from the current CA"]);

    // One replica reloaded, one not: nothing changes.
    served = [new X509Certificate(store.data!.cert!), served[1]!];
    assert.deepEqual((await reconcile({ store, targets, probe, policy: POLICY, now: clock(3650 - 389) })).changes, []);
    // Replica probes failing (undefined) keep the old CA too.
    assert.deepEqual((await reconcile({ store, targets, probe: () => Promise.resolve(undefined), policy: POLICY, now: clock(3650 - 389) })).changes, []);

    served = [new X509Certificate(store.data!.cert!), new X509Certificate(store.data!.cert!)];
    const done = await reconcile({ store, targets, probe, policy: POLICY, now: clock(3650 - 389) });
    assert.match(done.changes[1]!, /^CA CN=podgate-ca-\d{8}T\d{6} dropped from the bundle: every replica serves a certificate from the current CA$/);
    for (const name of WEBHOOKS) assert.deepEqual(fingerprints(targets.bundleOf(name)), fingerprints(newCa));
    assert.deepEqual(fingerprints(store.data!.bundle!), fingerprints(newCa));
  });

  it("counts replicas as on the CA only when every observed certificate chains to it and at least one was seen", () => {
    const ca = createCa({ bits: 1024 });
    const other = createCa({ bits: 1024 });
    const from = (issuer: typeof ca) => new X509Certificate(createServingCert({ ca: issuer, hosts: ["podgate"], bits: 1024 }).cert);
    assert.equal(replicasOnCa([from(ca), from(ca)], ca.cert), true);
    assert.equal(replicasOnCa([from(ca), from(other)], ca.cert), false);
    assert.equal(replicasOnCa([], ca.cert), undefined);
    assert.equal(replicasOnCa(undefined, ca.cert), undefined);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaderElector, leaseStep, nextRecord } from "../../../src/kube/lease.ts";
import { MemoryLease } from "../../support/lease.ts";

const T0 = new Date("2026-01-10T12:00:00Z");
const sec = (s: number) => new Date(T0.getTime() + s * 1000);

describe("lease decisions", () => {
  it("creates a missing lease, renews its own, takes a released one", () => {
    assert.deepEqual(leaseStep(undefined, "a", T0, T0, 60), { action: "create" });
    assert.deepEqual(leaseStep({ holder: "a", durationSeconds: 60 }, "a", T0, sec(10), 60), { action: "renew" });
    assert.deepEqual(leaseStep({ durationSeconds: 1 }, "a", T0, T0, 60), { action: "acquire", reason: "lease released" });
  });

  it("follows another holder until the record has stayed unchanged a full duration on this replica's clock", () => {
    const record = { holder: "b", durationSeconds: 30, renewTime: new Date("1999-01-01T00:00:00Z") };
    // The renewTime is ancient (clock skew, or a stale write): it is ignored; only local observation counts.
    assert.deepEqual(leaseStep(record, "a", T0, sec(29), 60), { action: "follow", holder: "b", expiresAt: sec(30) });
    assert.deepEqual(leaseStep(record, "a", T0, sec(30), 60), { action: "acquire", reason: "b stopped renewing" });
  });

  it("counts transitions on every change of holder but not on renewals", () => {
    const created = nextRecord({ action: "create" }, undefined, "a", T0, 60);
    assert.deepEqual(created, { holder: "a", durationSeconds: 60, acquireTime: T0, renewTime: T0, transitions: 0 });
    const renewed = nextRecord({ action: "renew" }, created, "a", sec(20), 60);
    assert.deepEqual(renewed, { ...created, renewTime: sec(20) });
    assert.equal(nextRecord({ action: "acquire", reason: "" }, renewed, "b", sec(90), 60).transitions, 1);
  });
});

describe("leader election between replicas", () => {
  it("elects exactly one leader, who keeps it while renewing", async () => {
    const lease = new MemoryLease();
    let now = T0;
    const a = new LeaderElector(lease, { identity: "a", durationSeconds: 30, now: () => now });
    const b = new LeaderElector(lease, { identity: "b", durationSeconds: 30, now: () => now });
    const [ra, rb] = await Promise.all([a.tryLead(), b.tryLead()]);
    assert.deepEqual([ra, rb], [true, false], "the second create conflicts");
    for (let s = 10; s <= 120; s += 10) {
      now = sec(s);
      assert.equal(await a.tryLead(), true);
      assert.equal(await b.tryLead(), false);
    }
    assert.equal(lease.record?.holder, "a");
  });

  it("hands over only after the leader stops renewing for a full lease duration", async () => {
    const lease = new MemoryLease();
    let now = T0;
    const a = new LeaderElector(lease, { identity: "a", durationSeconds: 30, now: () => now });
    const b = new LeaderElector(lease, { identity: "b", durationSeconds: 30, now: () => now });
    await a.tryLead();
    assert.equal(await b.tryLead(), false); // b first sees the record at T0
    now = sec(29);
    assert.equal(await b.tryLead(), false);
    now = sec(30);
    assert.equal(await b.tryLead(), true);
    assert.equal(lease.record?.transitions, 1);
    now = sec(31);
    assert.equal(await a.tryLead(), false, "the old leader notices and steps down");
    assert.equal(a.isLeader, false);
  });

  it("lets a follower take over at once when the leader releases the lease", async () => {
    const lease = new MemoryLease();
    const a = new LeaderElector(lease, { identity: "a", durationSeconds: 30, now: () => T0 });
    const b = new LeaderElector(lease, { identity: "b", durationSeconds: 30, now: () => T0 });
    await a.tryLead();
    await b.tryLead();
    await a.release();
    assert.equal(lease.record?.holder, undefined);
    assert.equal(await b.tryLead(), true);
  });

  it("stops leading when the API cannot be reached", async () => {
    const lease = new MemoryLease();
    const a = new LeaderElector(lease, { identity: "a", durationSeconds: 30, now: () => T0 });
    await a.tryLead();
    lease.down = true;
    await assert.rejects(a.tryLead(), /connection refused/);
    assert.equal(a.isLeader, false);
  });
});

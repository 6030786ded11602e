import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { rotationTick } from "../../../src/certs/rotation.ts";
import { LeaderElector } from "../../../src/kube/lease.ts";
import { DAY, MemoryStore, MemoryWebhooks, POLICY } from "../../support/certs.ts";
import { MemoryLease } from "../../support/lease.ts";

const T0 = new Date("2026-01-10T12:00:00Z");

function recordingLog() {
  const lines: string[] = [];
  const record = (_fields: unknown, message?: string) => void lines.push(message ?? "");
  return { lines, log: { info: record, warn: record, debug: record } as never };
}

describe("certificate rotation in the running server", () => {
  it("only the lease holder reconciles; the others write nothing", async () => {
    const lease = new MemoryLease();
    const store = new MemoryStore();
    const targets = new MemoryWebhooks();
    let now = T0;
    const replicas = ["a", "b", "c"].map((identity) => ({ identity, elector: new LeaderElector(lease, { identity, durationSeconds: 60, now: () => now }), ...recordingLog() }));
    const options = { store, targets, policy: POLICY, now: () => now };
    await Promise.all(replicas.map((r) => rotationTick(r.elector, options, r.log)));
    assert.equal(store.writes, 1, "one bootstrap write, by the leader");
    const leaders = replicas.filter((r) => r.elector.isLeader);
    assert.equal(leaders.length, 1);
    assert.ok(leaders[0]!.lines.includes("certificate lease acquired: this replica rotates certificates"));
    assert.ok(leaders[0]!.lines.includes("certificates changed"));

    // A year later every replica ticks: the leader renews once; the serving certificate changes once.
    now = new Date(T0.getTime() + 340 * DAY);
    const before = store.data!.cert;
    for (const r of replicas) await rotationTick(r.elector, options, r.log);
    assert.equal(store.writes, 2);
    assert.notEqual(store.data!.cert, before);
  });

  it("logs and carries on when the API fails, leading again once it is back", async () => {
    const lease = new MemoryLease();
    const store = new MemoryStore();
    const { lines, log } = recordingLog();
    const elector = new LeaderElector(lease, { identity: "a", durationSeconds: 60, now: () => T0 });
    lease.down = true;
    await rotationTick(elector, { store, policy: POLICY, now: () => T0 }, log);
    assert.deepEqual(lines, ["certificate lease: campaign failed"]);
    assert.equal(store.writes, 0);
    lease.down = false;
    store.write = () => Promise.reject(new Error("secrets is forbidden"));
    await rotationTick(elector, { store, policy: POLICY, now: () => T0 }, log);
    assert.deepEqual(lines.slice(1), ["certificate lease acquired: this replica rotates certificates", "certificate reconcile failed; retrying on the next tick"]);
  });
});

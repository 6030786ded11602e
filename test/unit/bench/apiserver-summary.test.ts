import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compliantPod, denierOf, summarise, type SetupRun } from "../../../bench/apiserver.ts";

const run = (setup: string, createsPerSecond: number, p50: number, cpu = 2): SetupRun => ({
  setup,
  latenciesMs: { p50, p90: p50 * 2, p99: p50 * 4 },
  createsPerSecond,
  cpuPer1000: { "kube-apiserver": cpu, etcd: 0.5, podgate: 0 },
  webhookCallsPerCreate: setup === "D" ? { "policy.policy.podgate.dev": 1 } : {},
});

describe("the apiserver bench's summary", () => {
  it("takes each ratio within its round, then the median over rounds", () => {
    // Round 2 is slow for everyone: its ratios stay what the setups' costs make them.
    const rounds = [
      [run("A", 400, 3), run("B", 380, 3.2), run("D", 300, 4)],
      [run("A", 200, 6), run("B", 190, 6.4), run("D", 150, 8)],
      [run("A", 420, 3), run("B", 400, 3.1), run("D", 320, 4.1)],
    ];
    const [a, b, d] = summarise(rounds);
    assert.equal(a!.vsA, 1);
    assert.equal(d!.vsA, 0.75);
    assert.equal(d!.vsB, 0.789);
    assert.equal(d!.p50AddedOverB, 1);
    assert.equal(d!.createsPerSecond, 300);
    assert.deepEqual(d!.eachRound, [300, 150, 320]);
    assert.equal(b!.p50, 3.2);
    assert.deepEqual(d!.webhookCallsPerCreate, { "policy.policy.podgate.dev": 1 });
  });

  it("tells the admission path that refused a create by the apiserver's message, and refuses to guess", () => {
    assert.equal(denierOf({ status: 201, text: "{}" }), undefined);
    assert.equal(denierOf({ status: 403, text: 'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged' }), "PodSecurity");
    assert.equal(denierOf({ status: 403, text: "ValidatingAdmissionPolicy 'pss-baseline-privileged' with binding 'b' denied request" }), "ValidatingAdmissionPolicy");
    assert.equal(denierOf({ status: 403, text: 'admission webhook "policy.policy.podgate.dev" denied the request' }), "webhook");
    assert.throws(() => denierOf({ status: 500, text: "etcdserver: request timed out" }), /refused by something no setup registers/);
  });

  it("creates pods held from scheduling", () => {
    assert.deepEqual((compliantPod() as { spec: { schedulingGates: unknown } }).spec.schedulingGates, [{ name: "bench.podgate.dev/hold" }]);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { formatQuantity, parseQuantity, podRequests, podRequestsBreakdown } from "../../../src/resources.ts";

describe("parseQuantity", () => {
  const cases: [string | number, number][] = [
    ["100m", 0.1], ["1", 1], ["1.5", 1.5], [".5", 0.5], ["2k", 2000], ["1Ki", 1024], ["512Mi", 512 * 2 ** 20],
    ["1Gi", 2 ** 30], ["1G", 1e9], ["1e3", 1000], ["1E", 1e18], ["250u", 0.00025], ["-1", -1], [3, 3],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${JSON.stringify(text)} as ${expected}`, () => assert.ok(Math.abs(parseQuantity(text) - expected) <= Math.abs(expected) * 1e-12));
  }
  for (const bad of ["", "lots", "1.2.3", "10 m", "1Kb", "m"]) {
    it(`refuses ${JSON.stringify(bad)} with the text in the message`, () => assert.throws(() => parseQuantity(bad), (e: Error) => e instanceof RangeError && e.message.includes(`"${bad}"`)));
  }
  it("formats cpu in millicores and memory in Mi/Gi", () => {
    assert.equal(formatQuantity("cpu", 0.25), "250m");
    assert.equal(formatQuantity("memory", 64 * 2 ** 20), "64Mi");
    assert.equal(formatQuantity("memory", 3 * 2 ** 30), "3Gi");
  });
});

const c = (cpu: string, extra: Record<string, unknown> = {}) => ({ name: `c${cpu}`, resources: { requests: { cpu } }, ...extra });

describe("podRequests", () => {
  it("sums containers", () => assert.equal(podRequests({ containers: [c("100m"), c("200m")] })["cpu"], 0.30000000000000004));
  it("takes the larger of the containers and the biggest regular init container", () => {
    assert.equal(podRequests({ containers: [c("100m")], initContainers: [c("1"), c("500m")] })["cpu"], 1);
  });
  it("adds native sidecars to the containers and to every later init step", () => {
    const spec = { containers: [c("100m")], initContainers: [c("200m", { restartPolicy: "Always" }), c("1")] };
    const b = podRequestsBreakdown(spec);
    assert.ok(Math.abs(b.containers["cpu"]! - 0.3) < 1e-9);
    assert.ok(Math.abs(b.initPeak["cpu"]! - 1.2) < 1e-9, "a regular init container after a sidecar runs beside it");
    assert.ok(Math.abs(b.total["cpu"]! - 1.2) < 1e-9);
    assert.equal(b.sidecars["cpu"], 0.2);
  });
  it("ignores sidecars started after a regular init container for that step", () => {
    const total = podRequests({ containers: [c("100m")], initContainers: [c("1"), c("200m", { restartPolicy: "Always" })] });
    assert.equal(total["cpu"], 1);
  });
  it("adds pod overhead and lets pod-level requests replace the containers' sum", () => {
    assert.ok(Math.abs(podRequests({ containers: [c("100m")], overhead: { cpu: "50m" } })["cpu"]! - 0.15) < 1e-9);
    assert.equal(podRequests({ containers: [c("100m")], resources: { requests: { cpu: "2" } } })["cpu"], 2);
  });
  it("names the container whose quantity does not parse", () => {
    assert.throws(() => podRequests({ initContainers: [{ name: "setup", resources: { requests: { cpu: "x" } } }] }), /initContainer "setup": not a quantity: "x"/);
  });
  it("never requests less than any single container or init container (property)", () => {
    const milli = fc.integer({ min: 0, max: 8000 });
    const container = fc.record({ cpu: milli, sidecar: fc.boolean() });
    fc.assert(
      fc.property(fc.array(milli, { maxLength: 5 }), fc.array(container, { maxLength: 5 }), (regular, init) => {
        const total = podRequests({
          containers: regular.map((m) => c(`${m}m`)),
          initContainers: init.map((i) => c(`${i.cpu}m`, i.sidecar ? { restartPolicy: "Always" } : {})),
        })["cpu"] ?? 0;
        for (const m of [...regular, ...init.map((i) => i.cpu)]) assert.ok(total * 1000 >= m - 1e-6);
      }),
    );
  });
});

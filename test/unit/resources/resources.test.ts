import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseQuantity, parseQuantityNanos, podRequests, podRequestsNanos, podSpecResources, QuantityError } from "../../../src/resources.ts";

describe("parseQuantity", () => {
  const cases: Array<[string, number]> = [
    ["100m", 0.1],
    ["1", 1],
    ["0.5", 0.5],
    ["1.5", 1.5],
    [".5", 0.5],
    ["5.", 5],
    ["+2", 2],
    ["-1", -1],
    ["250u", 0.00025],
    ["7n", 7e-9],
    ["1k", 1000],
    ["1M", 1e6],
    ["1G", 1e9],
    ["2T", 2e12],
    ["1P", 1e15],
    ["1E", 1e18],
    ["1Ki", 1024],
    ["128Mi", 134217728],
    ["1Gi", 1073741824],
    ["1.5Gi", 1610612736],
    ["1Ti", 2 ** 40],
    ["1Pi", 2 ** 50],
    ["1Ei", 2 ** 60],
    ["1e3", 1000],
    ["1E3", 1000],
    ["12e-3", 0.012],
    ["1e+2", 100],
  ];
  for (const [text, expected] of cases) {
    it(`reads ${text} as ${expected}`, () => assert.equal(parseQuantity(text), expected));
  }

  it("reads bare JSON numbers", () => {
    assert.equal(parseQuantity(2), 2);
    assert.equal(parseQuantity(0.25), 0.25);
  });

  it("is exact in nano-units", () => {
    assert.equal(parseQuantityNanos("100m"), 100_000_000n);
    assert.equal(parseQuantityNanos("1Ki"), 1024n * 1_000_000_000n);
    assert.equal(parseQuantityNanos("0.000000001"), 1n);
  });

  it("rounds precision below a nano up, away from zero, like kube-apiserver", () => {
    assert.equal(parseQuantityNanos("0.1n"), 1n);
    assert.equal(parseQuantityNanos("1.0000000001"), 1_000_000_001n);
    assert.equal(parseQuantityNanos("-0.1n"), -1n);
  });

  for (const bad of ["", ".", "m", "1KB", "1mi", "1 Gi", "abc", "1e", "1.2.3", "--1", "1Gi ", "0x10", "1e999"]) {
    it(`rejects ${JSON.stringify(bad)} with a QuantityError`, () => assert.throws(() => parseQuantityNanos(bad), QuantityError));
  }

  it("agrees with plain arithmetic on milli-quantities", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (milli) => {
        assert.equal(parseQuantityNanos(`${milli}m`), BigInt(milli) * 1_000_000n);
        assert.equal(parseQuantityNanos(`${milli}m`), parseQuantityNanos(`${milli}e-3`));
      }),
    );
  });
});

describe("podRequests", () => {
  const c = (requests: Record<string, string>, restartPolicy?: string) => ({ resources: { requests }, ...(restartPolicy ? { restartPolicy } : {}) });

  it("sums app containers exactly", () => {
    assert.deepEqual(podRequests({ containers: [c({ cpu: "100m", memory: "64Mi" }), c({ cpu: "200m", memory: "64Mi" })] }), {
      cpu: 0.3,
      memory: 128 * 2 ** 20,
    });
  });

  it("takes the larger of the app sum and any regular init container", () => {
    const spec = { containers: [c({ cpu: "100m" })], initContainers: [c({ cpu: "500m" }), c({ cpu: "50m", memory: "1Gi" })] };
    assert.deepEqual(podRequests(spec), { cpu: 0.5, memory: 2 ** 30 });
  });

  it("adds native sidecars to the app sum and to every init container that starts after them", () => {
    // sidecar 200m runs beside init-b (500m): 700m peak; app sum is 100m + 200m = 300m.
    const spec = {
      containers: [c({ cpu: "100m" })],
      initContainers: [c({ cpu: "400m" }), c({ cpu: "200m" }, "Always"), c({ cpu: "500m" })],
    };
    assert.deepEqual(podRequests(spec), { cpu: 0.7 });
  });

  it("does not add a sidecar to init containers that ran before it", () => {
    const spec = { containers: [c({ cpu: "100m" })], initContainers: [c({ cpu: "400m" }), c({ cpu: "200m" }, "Always")] };
    assert.deepEqual(podRequests(spec), { cpu: 0.4 });
  });

  it("defaults a missing request to the limit, as apiserver defaulting does", () => {
    const spec = { containers: [{ resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "250m" } } }] };
    assert.deepEqual(podRequests(spec), { cpu: 0.25, memory: 2 ** 30 });
  });

  it("lets pod-level requests replace cpu and memory, and adds overhead last", () => {
    const spec = {
      containers: [c({ cpu: "100m", memory: "64Mi", "nvidia.com/gpu": "1" })],
      resources: { requests: { cpu: "2", memory: "1Gi" } },
      overhead: { cpu: "250m", memory: "120Mi" },
    };
    assert.deepEqual(podRequests(spec), { cpu: 2.25, memory: 2 ** 30 + 120 * 2 ** 20, "nvidia.com/gpu": 1 });
  });

  it("returns nothing for a pod without requests", () => {
    assert.deepEqual(podRequests({ containers: [{ name: "app" }] }), {});
  });

  it("names the field of a malformed quantity", () => {
    assert.throws(() => podRequestsNanos({ initContainers: [c({ cpu: "1x" })] }), /initContainers\[0\]\.resources\.requests\.cpu: "1x" is not a quantity/);
  });

  it("offers a zod schema that rejects malformed quantities at the edge with their path", () => {
    const result = podSpecResources.safeParse({ containers: [{ resources: { limits: { memory: "12 Mi" } } }] });
    assert.equal(result.success, false);
    assert.deepEqual(result.error?.issues[0]?.path, ["containers", 0, "resources", "limits", "memory"]);
  });

  it("never yields less than any single container's request (property)", () => {
    const milli = fc.integer({ min: 0, max: 64_000 });
    const container = fc.record({ cpu: milli, sidecar: fc.boolean() });
    fc.assert(
      fc.property(fc.array(fc.record({ cpu: milli }), { minLength: 1, maxLength: 5 }), fc.array(container, { maxLength: 5 }), (apps, inits) => {
        const spec = {
          containers: apps.map((a) => c({ cpu: `${a.cpu}m` })),
          initContainers: inits.map((i) => c({ cpu: `${i.cpu}m` }, i.sidecar ? "Always" : undefined)),
        };
        const total = podRequestsNanos(spec).get("cpu") ?? 0n;
        const appSum = apps.reduce((s, a) => s + BigInt(a.cpu), 0n) * 1_000_000n;
        const sidecarSum = inits.filter((i) => i.sidecar).reduce((s, i) => s + BigInt(i.cpu), 0n) * 1_000_000n;
        assert.ok(total >= appSum + sidecarSum);
        for (const i of inits) assert.ok(total >= BigInt(i.cpu) * 1_000_000n);
      }),
    );
  });
});

it("a bad quantity is echoed as a bounded prefix, so hostile input is not amplified into replies and logs", () => {
  const huge = `${"9".repeat(5000)}x`;
  assert.throws(() => parseQuantityNanos(huge), (error: Error) => error.message.length < 120 && error.message.startsWith(`"${"9".repeat(40)}…" is not a quantity`));
  assert.throws(() => parseQuantityNanos(`1e${"9".repeat(5000)}`), (error: Error) => error.message.length < 120 && /exponent out of range/.test(error.message));
});

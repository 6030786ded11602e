import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { median, percentile, summarise } from "../../../bench/stats.ts";

describe("percentile (nearest rank)", () => {
  it("picks the observed sample at or above the rank", () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 90), 9);
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 100), 10);
    assert.equal(percentile(sorted, 1), 1);
  });

  it("is NaN for no samples and refuses percentiles outside (0, 100]", () => {
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile([1], 0), /\(0, 100\]/);
    assert.throws(() => percentile([1], 101), /\(0, 100\]/);
  });

  it("always returns a sample, and at least p% of samples are at or below it (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: 0, max: 1e6 }), { minLength: 1 }), fc.double({ min: 0.1, max: 100, noNaN: true }), (values, p) => {
        const sorted = [...values].sort((a, b) => a - b);
        const v = percentile(sorted, p);
        assert.ok(values.includes(v));
        assert.ok(sorted.filter((x) => x <= v).length >= (p / 100) * sorted.length);
      }),
    );
  });
});

describe("median and summarise", () => {
  it("takes the middle, averaging the two middles of an even count, ignoring NaN", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([Number.NaN, 5]), 5);
    assert.ok(Number.isNaN(median([])));
  });

  it("summarises unsorted latencies into ordered percentiles", () => {
    const samples = Float64Array.from({ length: 1000 }, (_, i) => 1000 - i);
    const s = summarise(samples);
    assert.deepEqual(s, { p50: 500, p90: 900, p99: 990, p999: 999, max: 1000 });
  });
});

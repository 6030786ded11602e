// Order statistics for benchmark samples. Percentiles use the nearest-rank
// definition (the smallest sample with at least p% of samples at or below it),
// so a reported p99 is always a latency that was actually observed.

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  // p * n first and a hair of tolerance: 0.999 * 1000 is 999.0000000000001 in floating point.
  const rank = Math.ceil((p * sorted.length) / 100 - 1e-9);
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export function median(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

export interface Percentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Sorts the samples in place and summarises them. */
export function summarise(samples: Float64Array): Percentiles {
  samples.sort();
  return { p50: percentile(samples, 50), p90: percentile(samples, 90), p99: percentile(samples, 99), p999: percentile(samples, 99.9), max: samples.length ? samples[samples.length - 1]! : Number.NaN };
}

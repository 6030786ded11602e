// Reading Prometheus histograms from a /metrics text page: the bench scrapes
// podgate's per-verb histogram and kube-scheduler's own around each run and
// reports the run's share (after minus before) as mean and bucket bounds.

/** One histogram summed over the series that match: cumulative bucket counts by upper bound. */
export interface Histogram {
  readonly count: number;
  readonly sum: number;
  readonly buckets: ReadonlyMap<number, number>;
}

const EMPTY: Histogram = { count: 0, sum: 0, buckets: new Map() };
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function labelsOf(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (text ?? "").matchAll(LABEL)) out[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
  return out;
}

/** Every sample named exactly `name`, with its labels. */
export function samples(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const m = SAMPLE.exec(line);
    if (m?.[1] === name) out.push({ labels: labelsOf(m[2]), value: Number(m[3]) });
  }
  return out;
}

/** The histogram `name` summed over every series whose labels include `match`. */
export function histogram(text: string, name: string, match: Readonly<Record<string, string>> = {}): Histogram {
  const matching = (suffix: string) => samples(text, `${name}${suffix}`).filter(({ labels }) => Object.entries(match).every(([k, v]) => labels[k] === v));
  const total = (suffix: string) => matching(suffix).reduce((sum, s) => sum + s.value, 0);
  const buckets = new Map<number, number>();
  for (const { labels, value } of matching("_bucket")) {
    const le = labels["le"] === "+Inf" ? Infinity : Number(labels["le"]);
    buckets.set(le, (buckets.get(le) ?? 0) + value);
  }
  const count = total("_count");
  return count === 0 && buckets.size === 0 ? EMPTY : { count, sum: total("_sum"), buckets };
}

/** What happened between two scrapes of the same process. */
export function since(after: Histogram, before: Histogram): Histogram {
  const buckets = new Map<number, number>();
  for (const [le, n] of after.buckets) buckets.set(le, n - (before.buckets.get(le) ?? 0));
  return { count: after.count - before.count, sum: after.sum - before.sum, buckets };
}

/** Upper bound of the bucket holding the q-quantile (0 < q <= 1); NaN when empty. */
export function quantileBound(h: Histogram, q: number): number {
  const rank = q * h.count;
  for (const le of [...h.buckets.keys()].sort((a, b) => a - b)) if ((h.buckets.get(le) ?? 0) >= rank && h.count > 0) return le;
  return Number.NaN;
}

/** Mean, p50 and p99 bounds in milliseconds (histograms in seconds), rounded for a table. */
export function summaryMs(h: Histogram): { calls: number; meanMs: number; p50LeMs: number; p99LeMs: number } {
  const ms = (s: number) => Math.round(s * 1e5) / 100;
  return { calls: h.count, meanMs: h.count ? ms(h.sum / h.count) : Number.NaN, p50LeMs: ms(quantileBound(h, 0.5)), p99LeMs: ms(quantileBound(h, 0.99)) };
}

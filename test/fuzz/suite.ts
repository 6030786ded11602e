// The whole fuzz run as one function: every route over inject (and a share
// over real HTTPS), then the loaders; figures for `npm run fuzz` and
// `npm run reliability`.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzConfigLoader, fuzzPolicyLoader, type LoaderFigures } from "./loaders.ts";
import { fuzzEndpoint, httpsSender, injectSender, settledHeap, trapFaults, type EndpointFigures } from "./run.ts";
import { buildTarget } from "./target.ts";

export interface SuiteOptions {
  readonly cases: number;
  readonly httpsCases: number;
  readonly loaderCases: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface SuiteFigures {
  readonly endpoints: (EndpointFigures & { transport: string })[];
  readonly loaders: LoaderFigures[];
  readonly faults: string[];
  readonly heapStartMiB: number;
  readonly heapEndMiB: number;
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export async function runFuzzSuite(options: SuiteOptions): Promise<SuiteFigures> {
  const log = options.log ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), "podgate-fuzz-"));
  const trap = trapFaults();
  const target = await buildTarget(dir);
  try {
    const inject = injectSender(target.app);
    for (const endpoint of target.endpoints) await fuzzEndpoint(endpoint, inject, { cases: 50, seed: options.seed - 1 });
    const heapStart = settledHeap();
    const rssStart = process.memoryUsage().rss;
    const endpoints: SuiteFigures["endpoints"] = [];
    for (const endpoint of target.endpoints) {
      const started = performance.now();
      const figures = await fuzzEndpoint(endpoint, inject, {
        cases: options.cases,
        seed: options.seed,
        onProgress: (f) => f.inputs % 10_000 === 0 && log(`  ${endpoint.path}: ${f.inputs} inputs`),
      });
      endpoints.push({ ...figures, transport: "inject" });
      log(`${endpoint.path} (inject): ${figures.inputs} inputs in ${Math.round((performance.now() - started) / 1000)} s`);
    }
    if (options.httpsCases > 0) {
      const url = await target.app.listen({ host: "127.0.0.1", port: 0 });
      const send = httpsSender(url, await readFile(join(dir, "ca.crt"), "utf8"));
      for (const endpoint of target.endpoints) {
        endpoints.push({ ...(await fuzzEndpoint(endpoint, send, { cases: options.httpsCases, seed: options.seed + 7, concurrency: 8 })), transport: "https" });
      }
      send.close();
      log(`HTTPS: ${options.httpsCases} inputs per route`);
    }
    const loaders = options.loaderCases > 0 ? [fuzzConfigLoader(options.loaderCases, options.seed), fuzzPolicyLoader(options.loaderCases, options.seed)] : [];
    return {
      endpoints,
      loaders,
      faults: trap.faults,
      heapStartMiB: MiB(heapStart),
      heapEndMiB: MiB(settledHeap()),
      rssStartMiB: MiB(rssStart),
      rssEndMiB: MiB(process.memoryUsage().rss),
    };
  } finally {
    trap.remove();
    await target.app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A plain-text table: a header row, then rows, columns padded. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join("  ").trimEnd()).join("\n");
}

export function fuzzTable(figures: SuiteFigures): string {
  return table([
    ["target", "via", "inputs", "crashes", "wrong", "late", "max ms", "statuses"],
    ...figures.endpoints.map((e) => [e.path, e.transport, e.inputs, e.crashes, e.wrong, e.late, Math.round(e.maxMs), Object.entries(e.statuses).map(([s, n]) => `${s}:${n}`).join(" ")]),
    ...figures.loaders.map((l) => [`${l.loader} loader`, "call", l.inputs, l.crashes, l.unlocated, 0, "-", `accepted:${l.accepted} refused:${l.refused}`]),
  ]);
}

export function suiteFailures(figures: SuiteFigures): string[] {
  return [
    ...figures.faults,
    ...figures.endpoints.flatMap((e) => e.failures.map((f) => `${e.path} (${e.transport}) ${f.label}: ${f.why} | ${f.body.slice(0, 120)}`)),
    ...figures.loaders.flatMap((l) => l.failures.map((f) => `${l.loader} loader ${f.label}: ${f.why}`)),
  ];
}

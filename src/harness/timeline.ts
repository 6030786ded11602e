// Per-pod stage timestamps and the printed timeline. Stages come from three
// clocks on this machine: the client (created: just before the create call),
// podgate's log (mutated, validated, filtered, scored, bound-by-extender: pino
// `time`, ms), and a watch on the pods (persisted, bound, running, ready: when
// the watch delivered the change; the API's own timestamps have 1 s resolution).
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { LOG_FLUSH_INTERVAL_MS } from "../server/logger.ts";

export const STAGES = ["created", "mutated", "validated", "persisted", "filtered", "scored", "bound", "running", "ready"] as const;
export type Stage = (typeof STAGES)[number];
export type PodStages = Partial<Record<Stage, number>>;

const logLine = z.looseObject({
  time: z.number(),
  msg: z.string(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  route: z.string().optional(),
  dryRun: z.boolean().optional(),
  verb: z.string().optional(),
  pod: z.string().optional(),
});
export type PodgateLogLine = z.infer<typeof logLine>;

/** podgate's JSON log lines that the timeline reads; other lines are skipped. */
export function parseLog(text: string): PodgateLogLine[] {
  const lines: PodgateLogLine[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.startsWith("{")) continue;
    const parsed = logLine.safeParse(JSON.parse(raw));
    if (parsed.success && (parsed.data.msg === "admission review" || parsed.data.msg === "extender call")) lines.push(parsed.data);
  }
  return lines;
}

/** podgate's log file, read once podgate has written what it buffered (it flushes every LOG_FLUSH_INTERVAL_MS). */
export async function podgateLogText(file: string): Promise<string> {
  await sleep(2 * LOG_FLUSH_INTERVAL_MS);
  return readFile(file, "utf8");
}

export const readPodgateLog = async (file: string): Promise<PodgateLogLine[]> => parseLog(await podgateLogText(file));

/** Admission reviews of a named pod (not dry runs), in log order. */
export function reviewsOf(lines: readonly PodgateLogLine[], namespace: string, name: string): PodgateLogLine[] {
  return lines.filter((l) => l.msg === "admission review" && l.namespace === namespace && l.name === name && l.dryRun !== true);
}

export function extenderCallsOf(lines: readonly PodgateLogLine[], namespace: string, name: string, verb?: string): PodgateLogLine[] {
  return lines.filter((l) => l.msg === "extender call" && l.pod === `${namespace}/${name}` && (verb === undefined || l.verb === verb));
}

/**
 * podgate's stages for one pod: the first mutating and validating review and
 * the first filter/prioritize call. Controller pods are reviewed before they
 * have a name (`generateName*`), so their admission stages are unknown here.
 */
export function podgateStages(lines: readonly PodgateLogLine[], namespace: string, name: string): PodStages {
  const reviews = reviewsOf(lines, namespace, name);
  const first = (pred: (l: PodgateLogLine) => boolean) => lines.find(pred)?.time;
  const stages: PodStages = {
    mutated: reviews.find((l) => l.route?.startsWith("/mutate"))?.time,
    validated: reviews.find((l) => l.route?.startsWith("/validate"))?.time,
    filtered: first((l) => l.msg === "extender call" && l.pod === `${namespace}/${name}` && l.verb === "filter"),
    scored: first((l) => l.msg === "extender call" && l.pod === `${namespace}/${name}` && l.verb === "prioritize"),
  };
  return Object.fromEntries(Object.entries(stages).filter(([, v]) => v !== undefined));
}

export interface TimelineRow {
  readonly pod: string;
  readonly node?: string;
  readonly stages: PodStages;
}

/** create→Running in ms, when both are known. */
export function createToRunning(stages: PodStages): number | undefined {
  return stages.created !== undefined && stages.running !== undefined ? stages.running - stages.created : undefined;
}

/** A table: one row per pod, each stage as ms after its `created`. */
export function formatTimeline(rows: readonly TimelineRow[]): string {
  const header = ["pod", "node", ...STAGES.map((s) => `${s}`), "create→Running"];
  const body = rows.map((r) => {
    const t0 = r.stages.created ?? Math.min(...Object.values(r.stages));
    const cell = (s: Stage) => (r.stages[s] === undefined ? "-" : `+${Math.round(r.stages[s] - t0)}`);
    const latency = createToRunning(r.stages);
    return [r.pod, r.node ?? "-", ...STAGES.map(cell), latency === undefined ? "-" : `${Math.round(latency)} ms`];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...body.map(line)].join("\n");
}

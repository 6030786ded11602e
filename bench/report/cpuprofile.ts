// Reads a V8 .cpuprofile (what node --cpu-prof writes) and says where the
// time went: self time per function and per package or source area.
import { z } from "zod";

const callFrame = z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number(), columnNumber: z.number() });
const profileNode = z.object({ id: z.number(), callFrame, children: z.array(z.number()).optional() });
export const cpuProfile = z.object({
  nodes: z.array(profileNode),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});
export type CpuProfile = z.infer<typeof cpuProfile>;

export interface Share {
  readonly name: string;
  readonly ms: number;
  /** Of the busy time (idle excluded). */
  readonly percent: number;
}

export interface ProfileSummary {
  readonly busyMs: number;
  readonly idleMs: number;
  readonly functions: readonly Share[];
  readonly areas: readonly Share[];
}

/** Where a script lives, coarse enough to act on: a package, a source folder, node itself, or V8. */
export function areaOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith("node:")) return "node:" + (url.slice(5).split("/")[1] ?? url.slice(5));
  const source = /\/(src|webhooks|extender|bench)\/([^/]+)/.exec(url);
  if (source) return `${source[1]}/${source[2]!.replace(/\.ts$/, "")}`;
  return url;
}

function top(map: Map<string, number>, busy: number, count: number): Share[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: busy > 0 ? (100 * us) / busy : 0 }));
}

export function summariseProfile(profile: CpuProfile, count = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const functions = new Map<string, number>();
  const areas = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === "(idle)") {
      idle += us;
      continue;
    }
    busy += us;
    const file = frame.url.replace(/^.*\/(node_modules\/|src\/|webhooks\/|extender\/|bench\/)/, "$1");
    const name = `${frame.functionName || "(anonymous)"} ${file ? `${file}:${frame.lineNumber + 1}` : ""}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions: top(functions, busy, count), areas: top(areas, busy, count) };
}

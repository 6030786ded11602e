// CPU seconds used so far by each supervised component (its whole process
// group), read from /proc: on a 2-core machine shared by etcd, the apiserver,
// the scheduler, kwok and podgate, throughput follows total CPU per pod, so
// the flow bench reports where that CPU goes. Linux only; elsewhere empty.
import { readdirSync, readFileSync } from "node:fs";

/** USER_HZ: /proc reports times in these ticks; 100 on every Linux ABI. */
const TICKS_PER_SECOND = 100;

/** utime + stime (s) per process group of `pgids`, summed over every live process of the group. */
export function groupCpuSeconds(pgids: readonly number[]): Map<number, number> {
  const wanted = new Set(pgids);
  const seconds = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return seconds;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited since the listing
    }
    // Fields after the command (which may hold spaces and parentheses): state ppid pgrp ... utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(fields[2]);
    if (!wanted.has(pgrp)) continue;
    const ticks = Number(fields[11]) + Number(fields[12]);
    seconds.set(pgrp, (seconds.get(pgrp) ?? 0) + ticks / TICKS_PER_SECOND);
  }
  return seconds;
}

/** CPU seconds so far per component name (components of one name are summed). */
export function componentCpuSeconds(groups: readonly { name: string; pgid: number }[]): Record<string, number> {
  const byGroup = groupCpuSeconds(groups.map((g) => g.pgid));
  const out: Record<string, number> = {};
  for (const { name, pgid } of groups) out[name] = (out[name] ?? 0) + (byGroup.get(pgid) ?? 0);
  return out;
}

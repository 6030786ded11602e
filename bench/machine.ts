// The machine a run came from, so figures are never read without it.
import { readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  readonly cpuModel: string;
  readonly cores: number;
  readonly mhz?: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  /** 1-minute load average at the start: other work sharing the cores. */
  readonly loadAverage: number;
}

/** The first "model name" and "cpu MHz" of /proc/cpuinfo (os.cpus() may report 0 MHz in VMs). */
export function parseCpuinfo(text: string): { model?: string; mhz?: number } {
  const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1]?.trim();
  const mhz = Number(/^cpu MHz\s*:\s*([\d.]+)$/m.exec(text)?.[1]);
  return { ...(model ? { model } : {}), ...(Number.isFinite(mhz) && mhz > 0 ? { mhz: Math.round(mhz) } : {}) };
}

export function describeMachine(): Machine {
  let cpuinfo: { model?: string; mhz?: number } = {};
  try {
    cpuinfo = parseCpuinfo(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    // Not Linux: os.cpus() is all there is.
  }
  const cpus = os.cpus();
  const speed = cpuinfo.mhz ?? (cpus[0]?.speed || undefined);
  return {
    cpuModel: cpuinfo.model ?? cpus[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    ...(speed ? { mhz: speed } : {}),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg()[0]!,
  };
}

export function machineLine(m: Machine): string {
  return `${m.cpuModel}${m.mhz ? ` @ ${m.mhz} MHz` : ""}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.kernel}, node ${m.node}, load average ${m.loadAverage.toFixed(2)} at start`;
}

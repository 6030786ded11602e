// The flow bench's CPU accounting reads /proc/<pid>/stat per process group:
// a busy child's CPU shows up under its group, and an idle one's barely moves.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { it } from "node:test";
import { componentCpuSeconds } from "../../../bench/process-cpu.ts";

/** A detached child that first burns `cpuMs` of CPU (however loaded the machine), then says so and waits. */
function child(cpuMs: number) {
  const script = `while ((process.cpuUsage().user + process.cpuUsage().system) / 1000 < ${cpuMs}); process.stdout.write("ready\\n"); setTimeout(() => {}, 30000);`;
  const proc = spawn(process.execPath, ["-e", script], { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  const ready = new Promise<void>((resolve) => proc.stdout.on("data", () => resolve()));
  return { proc, ready };
}

it("counts a busy process group's CPU seconds and not an idle one's", { skip: process.platform !== "linux" && "reads /proc" }, async () => {
  const busy = child(400);
  const idle = child(0);
  try {
    await Promise.all([busy.ready, idle.ready]);
    const seconds = componentCpuSeconds([
      { name: "busy", pgid: busy.proc.pid! },
      { name: "idle", pgid: idle.proc.pid! },
    ]);
    assert.ok(seconds["busy"]! >= 0.35, `busy: ${seconds["busy"]} s`);
    assert.ok(seconds["idle"]! < seconds["busy"]! - 0.25, `idle: ${seconds["idle"]} s, busy ${seconds["busy"]} s`);
  } finally {
    for (const { proc } of [busy, idle]) {
      proc.kill("SIGKILL");
      await once(proc, "exit");
    }
  }
});

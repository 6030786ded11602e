// Child processes pinned to one core each (server on one, load generator on
// the other) with taskset from util-linux; without it they run unpinned and
// the results say so.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";

export interface Pinning {
  readonly available: boolean;
  readonly note: string;
}

export function detectPinning(): Pinning {
  const probe = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) return { available: false, note: "taskset not usable: server and load generator share the cores (figures are noisier)" };
  return { available: true, note: "server pinned to core 0, load generator to core 1 (taskset)" };
}

/** Starts `node <script> <args>` with an IPC channel, on `core` when pinning is available. */
export function spawnNode(pinning: Pinning, core: number, script: string, args: readonly string[] = [], nodeFlags: readonly string[] = []): ChildProcess {
  const node = [...nodeFlags, script, ...args];
  const [command, argv] = pinning.available ? ["taskset", ["-c", String(core), process.execPath, ...node]] : [process.execPath, node];
  // stdout is /dev/null: the server's one log line per review is part of its cost, not of our output.
  return spawn(command, argv, { stdio: ["ignore", "ignore", "inherit", "ipc"] });
}

/** The next IPC message from a child, or an error when it exits first or takes longer than timeoutMs. */
export function nextMessage(child: ChildProcess, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no message from child ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: unknown) => finish(undefined, message);
    const onExit = (code: number | null, signal: string | null) => finish(new Error(`child ${child.pid} exited (${signal ?? code}) before answering`));
    function finish(error: Error | undefined, message?: unknown) {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(message);
    }
    child.on("message", onMessage);
    child.on("exit", onExit);
  });
}

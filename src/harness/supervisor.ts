// Process supervision for the harness: each component runs detached in its own
// process group with stdout+stderr in <logDir>/<name>.log; stop() ends them in
// reverse start order (clients first, etcd last: an apiserver whose etcd is
// gone hangs on shutdown), and a synchronous exit hook SIGKILLs whatever is
// left, so no path out of the harness leaves a process behind.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

interface Running {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;
}

export interface StartOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

const live = new Set<Supervisor>();
let hooked = false;

/** SIGKILL every process group still running (sync: usable in an 'exit' handler). */
function killAllSync(): void {
  for (const s of live) s.killSync();
}

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAllSync);
}

export class Supervisor {
  readonly logDir: string;
  private readonly running: Running[] = [];

  constructor(logDir: string) {
    this.logDir = logDir;
    installHooks();
    live.add(this);
  }

  logPath(name: string): string {
    return join(this.logDir, `${name}.log`);
  }

  start(name: string, command: string, args: readonly string[], options: StartOptions = {}): ChildProcess {
    const fd = openSync(this.logPath(name), "a");
    const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd], env: options.env ?? process.env, cwd: options.cwd });
    closeSync(fd);
    const entry: Running = {
      name,
      child,
      exitCode: undefined,
      exited: new Promise((resolve) => {
        child.once("exit", (code, signal) => {
          entry.exitCode = code ?? (signal ? 128 : null);
          resolve(entry.exitCode);
        });
        // spawn failures (binary missing) count as an exit: assertAlive reports them.
        child.once("error", () => {
          entry.exitCode = 127;
          resolve(127);
        });
      }),
    };
    this.running.push(entry);
    return child;
  }

  /** Throws naming the first component that has exited (with its log tail). */
  assertAlive(): void {
    for (const r of this.running) {
      if (r.exitCode !== undefined) throw new Error(`${r.name} exited (code ${r.exitCode}); last log lines:\n${this.tail(r.name, 25)}`);
    }
  }

  /** The components still running, by name, with the id of their process group. */
  groups(): { name: string; pgid: number }[] {
    return this.running.flatMap((r) => (r.exitCode === undefined && r.child.pid !== undefined ? [{ name: r.name, pgid: r.child.pid }] : []));
  }

  tail(name: string, lines = 20): string {
    try {
      return readFileSync(this.logPath(name), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  }

  tails(lines = 15): string {
    return this.running.map((r) => `--- ${r.name} (${this.logPath(r.name)})\n${this.tail(r.name, lines)}`).join("\n");
  }

  /** Stops one component: SIGTERM to its group, SIGKILL after graceMs. */
  async stopOne(name: string, graceMs = 10_000): Promise<void> {
    const index = this.running.findIndex((r) => r.name === name && r.exitCode === undefined);
    if (index < 0) return;
    const entry = this.running[index]!;
    await this.stopEntry(entry, graceMs);
    this.running.splice(index, 1);
  }

  private async stopEntry(entry: Running, graceMs: number): Promise<void> {
    if (entry.exitCode !== undefined) return;
    signalGroup(entry.child, "SIGTERM");
    const stopped = await Promise.race([entry.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!stopped) {
      process.stderr.write(`[harness] ${entry.name} ignored SIGTERM for ${graceMs} ms; SIGKILL\n`);
      signalGroup(entry.child, "SIGKILL");
      await entry.exited;
    }
    // The group may hold children of the component (none expected): end them too.
    signalGroup(entry.child, "SIGKILL");
  }

  /** Stops everything in reverse start order, each fully before the next. */
  async stop(): Promise<void> {
    for (const entry of [...this.running].reverse()) await this.stopEntry(entry, 10_000);
    this.running.length = 0;
    live.delete(this);
  }

  killSync(): void {
    for (const r of this.running) signalGroup(r.child, "SIGKILL");
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

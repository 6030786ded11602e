// TypeScript policies run by the server on a worker thread, under a deadline
// that is enforced rather than asked for: users' code that loops or blocks
// cannot stall the event loop (health probes, other reviews, the extender),
// and at the deadline the worker is terminated — V8 stops it mid-loop — and a
// fresh one is started. The stalled review's module policies get an error
// verdict, which their failurePolicy turns into a denial or an allowance;
// reviews queued behind it are sent again to the new worker.
import { Worker } from "node:worker_threads";
import type { PolicyInput, Verdict } from "./policy.ts";
import type { SandboxReply, SandboxRequest } from "./sandbox-worker.ts";

/** The worker's entry: its TypeScript source when podgate runs from source, the built JS otherwise. */
const ENTRY = new URL(import.meta.url.endsWith(".ts") ? "./sandbox-worker.ts" : "./sandbox-worker.js", import.meta.url);

/** A heap cap, so a policy that allocates without end loses its worker instead of the server's memory. */
const WORKER_HEAP_MB = 128;

interface Pending {
  readonly input: PolicyInput;
  readonly resolve: (verdicts: readonly Verdict[]) => void;
  readonly timer: NodeJS.Timeout;
}

export interface SandboxOptions {
  /** Module paths, as the config names them. */
  readonly modules: readonly string[];
  /** How many policies the modules export (the worker answers one verdict for each). */
  readonly policyCount: number;
  /** The time a review's module policies get, from when it is sent. */
  readonly deadlineMs: number;
}

export class PolicySandbox {
  readonly #options: SandboxOptions;
  readonly #pending = new Map<number, Pending>();
  /** Undefined after a worker died on its own: the next review starts one, so a module that kills its worker cannot make a respawn loop. */
  #worker: Worker | undefined;
  #nextId = 0;
  #closed = false;
  /** How many workers were replaced (deadline, crash, out of memory): tests and logs read it. */
  replaced = 0;

  constructor(options: SandboxOptions) {
    this.#options = options;
    this.#worker = this.#start();
  }

  #start(): Worker {
    const worker = new Worker(ENTRY, { workerData: { modules: this.#options.modules }, resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
    worker.on("message", (message: SandboxReply) => {
      if (worker !== this.#worker) return;
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      pending.resolve(message.verdicts);
    });
    worker.on("error", (error: Error) => this.#lost(worker, `the policy worker failed: ${error.message}`));
    worker.on("exit", (code) => this.#lost(worker, `the policy worker exited with code ${code}`));
    // A worker must not keep the process alive on its own (the server's listeners do); after the listeners, which ref it.
    worker.unref();
    return worker;
  }

  /** Every module policy's verdict for the request, in load order; an error verdict for each when the deadline passes. */
  evaluate(input: PolicyInput): Promise<readonly Verdict[]> {
    if (this.#closed) return Promise.resolve(this.#errors("the policy worker was stopped: its config no longer serves"));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#expired(id), this.#options.deadlineMs);
      this.#pending.set(id, { input, resolve, timer });
      (this.#worker ??= this.#start()).postMessage({ id, input } satisfies SandboxRequest);
    });
  }

  #errors(error: string): Verdict[] {
    return Array.from({ length: this.#options.policyCount }, () => ({ result: "error", error }));
  }

  /** The review that ran out of time is answered with errors; the worker stuck on it is replaced. */
  #expired(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.resolve(this.#errors(`did not return within ${this.#options.deadlineMs} ms; the policy worker was stopped and replaced`));
    this.#replace();
  }

  /** The worker died on its own (a crash, out of memory): what it held is answered with errors. */
  #lost(worker: Worker | undefined, error: string): void {
    if (worker !== this.#worker && !this.#closed) return;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(this.#errors(error));
    }
    this.replaced++;
    this.#worker = undefined;
  }

  /** Stops the worker for good (the config that started it serves no more); reviews still waiting get errors. */
  close(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#closed = true;
    this.#lost(worker, "the policy worker was stopped: its config no longer serves");
    void worker?.terminate();
  }

  #replace(): void {
    const stuck = this.#worker;
    this.replaced++;
    const worker = (this.#worker = this.#start());
    void stuck?.terminate();
    // Reviews that were queued behind the stuck one still have time left: the new worker takes them.
    for (const [id, { input }] of this.#pending) worker.postMessage({ id, input } satisfies SandboxRequest);
  }
}

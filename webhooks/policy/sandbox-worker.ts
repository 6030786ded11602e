// The worker thread that runs TypeScript policy modules for the server (sandbox.ts):
// it loads the modules the config names, then answers one review at a time with
// every module policy's verdict, in load order. A policy that never returns
// stalls only this thread; the server terminates it and starts another.
import { parentPort, workerData } from "node:worker_threads";
import { loadPolicyModules } from "./load.ts";
import type { PolicyInput, Verdict } from "./policy.ts";

export interface SandboxRequest {
  readonly id: number;
  readonly input: PolicyInput;
}

export interface SandboxReply {
  readonly id: number;
  readonly verdicts: readonly Verdict[];
}

const { modules } = workerData as { modules: readonly string[] };
const policies = loadPolicyModules(modules);
const port = parentPort!;
port.on("message", ({ id, input }: SandboxRequest) => {
  const verdicts = policies.map((policy) => policy.evaluate(input));
  port.postMessage({ id, verdicts } satisfies SandboxReply);
});

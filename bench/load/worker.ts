// The load generator as a child process, so it can be pinned to its own core:
// one job in over IPC, one result out, then exit.
import { loadJob, runLoad } from "./client.ts";

process.once("message", (message: unknown) => {
  const job = loadJob.safeParse(message);
  if (!job.success) {
    process.send!({ error: `bad load job: ${job.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` });
    process.disconnect();
    return;
  }
  // Never outlive the job's own bounds by much, whatever the server does.
  setTimeout(() => process.exit(3), job.data.durationMs + job.data.drainMs + 15_000).unref();
  runLoad(job.data).then(
    (result) => {
      process.send!({ result }, () => process.disconnect());
    },
    (error: unknown) => {
      process.send!({ error: (error as Error).message }, () => process.disconnect());
    },
  );
});

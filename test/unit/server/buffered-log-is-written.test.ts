// The server log is buffered (src/server/logger.ts): a line must still reach
// stdout on a quiet server (the flush timer) and when the process exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";

const LOGGER = new URL("../../../src/server/logger.ts", import.meta.url).href;

/** Runs `body` in a child with a server logger `log`; resolves with its stdout once `until` holds or it exits. */
function child(body: string, until: (stdout: string) => boolean): Promise<{ stdout: string; exited: boolean }> {
  const script = `import { serverLogger } from ${JSON.stringify(LOGGER)};\nconst { logger: log } = serverLogger("info");\n${body}`;
  const proc = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  return new Promise((resolve) => {
    const timeout = setTimeout(() => {
      proc.kill("SIGKILL");
      resolve({ stdout, exited: false });
    }, 10_000);
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (until(stdout)) {
        clearTimeout(timeout);
        // SIGKILL: no exit hook runs, so what was read came from the timer.
        proc.kill("SIGKILL");
        resolve({ stdout, exited: false });
      }
    });
    proc.on("exit", () => {
      clearTimeout(timeout);
      resolve({ stdout, exited: true });
    });
  });
}

test("a single short line on an otherwise quiet server is written by the flush timer", async () => {
  const { stdout } = await child(`log.info({ uid: "u-1" }, "admission review");\nsetInterval(() => {}, 1000);`, (out) => out.includes('"uid":"u-1"'));
  assert.match(stdout, /"uid":"u-1".*"msg":"admission review"/);
});

test("lines still buffered when the process exits are written", async () => {
  const { stdout, exited } = await child(`for (let i = 0; i < 3; i++) log.info({ i }, "line");\nprocess.exit(0);`, () => false);
  assert.ok(exited);
  assert.equal(stdout.trim().split("\n").length, 3, stdout);
});

test("lines past the buffer size, with characters of several bytes, arrive whole and in order", async () => {
  const { stdout, exited } = await child(`for (let i = 0; i < 2000; i++) log.info({ i, name: "café-☃-" + "x".repeat(i % 97) }, "line");\nprocess.exit(0);`, () => false);
  assert.ok(exited);
  const lines = stdout.trim().split("\n").map((l) => JSON.parse(l) as { i: number; name: string });
  assert.equal(lines.length, 2000);
  lines.forEach((line, i) => {
    assert.equal(line.i, i);
    assert.equal(line.name, `café-☃-${"x".repeat(i % 97)}`);
  });
});

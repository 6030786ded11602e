import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fixture } from "../support/fixtures.ts";
import { post } from "../../src/harness/https.ts";

const BIN = new URL("../../bin/podgate.js", import.meta.url).pathname;
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000 });

describe("the podgate command", () => {
  it("prints help for the command and for serve, exit 0", () => {
    const top = run("--help");
    assert.equal(top.status, 0);
    assert.match(top.stdout, /serve/);
    const serve = run("serve", "--help");
    assert.equal(serve.status, 0);
    assert.match(serve.stdout, /--tls-dir <dir>/);
    assert.match(serve.stdout, /--client-ca <file>/);
  });

  it("exits 2 on an unknown flag or command", () => {
    assert.equal(run("serve", "--no-such-flag").status, 2);
    assert.equal(run("frobnicate").status, 2);
    assert.equal(run("serve", "--port", "http").status, 2);
    // podgate e2e: one cluster, and kind's flags with --kind only.
    assert.match(run("e2e", "--local", "--kind").stderr, /option '--local' cannot be used with option '--kind'/);
    const workers = run("e2e", "--workers", "2");
    assert.equal(workers.status, 2);
    assert.match(workers.stderr, /--workers is kind's: add --kind/);
    assert.match(run("e2e", "--kind", "--workers", "9").stderr, /expected 1\.\.5 worker nodes/);
  });

  it("exits 2 on a bad config file, naming the key path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-cli-"));
    try {
      await writeFile(join(dir, "bad.yaml"), "server:\n  prot: 8443\n");
      const result = run("serve", "--config", join(dir, "bad.yaml"));
      assert.equal(result.status, 2);
      assert.match(result.stderr, /server\.prot: unknown key/);
      const missing = run("serve", "--config", join(dir, "absent.yaml"));
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /absent\.yaml/);
      // podgate e2e refuses it the same way, before it builds or starts anything.
      const e2e = run("e2e", "--config", join(dir, "bad.yaml"));
      assert.equal(e2e.status, 2);
      assert.match(e2e.stderr, /server\.prot: unknown key/);
      assert.doesNotMatch(e2e.stderr, /kube-apiserver|building/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("serves the embedded default with generated certificates and exits 0 on SIGTERM", async () => {
    const dir = await mkdtemp(join(tmpdir(), "podgate-cli-"));
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--metrics-port", "0", "--tls-dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split("\n").find((l) => l.includes('"podgate serving"'));
          if (line) resolve(JSON.parse(line).url);
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      const ca = await readFile(join(dir, "ca.crt"), "utf8");
      const body = fixture("admission/create-pod.json");
      const res = await post(`${url}/mutate`, ca, body);
      assert.equal(res.status, 200);
      assert.equal(res.json.response.uid, body.request.uid);
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the podgate command in a pipeline", () => {
  it("exits quietly when the reader has already gone (podgate … | true)", () => {
    const result = spawnSync("sh", ["-c", `"${process.execPath}" "${BIN}" scheduler-config | true`], { encoding: "utf8" });
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled/);
  });
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SERVE_NODE_FLAGS } from "../../../src/server/node-flags.ts";

const root = new URL("../../../", import.meta.url);

test("npm start runs the server with the serve Node flags", () => {
  const start = (JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { scripts: Record<string, string> }).scripts["start"];
  assert.equal(start, `node ${SERVE_NODE_FLAGS.join(" ")} dist/src/cli.js serve`);
});

test("the image's ENTRYPOINT runs node with the serve Node flags", () => {
  const entrypoint = /^ENTRYPOINT (.+)$/m.exec(readFileSync(new URL("Dockerfile", root), "utf8"))?.[1];
  assert.ok(entrypoint, "Dockerfile has no ENTRYPOINT");
  assert.deepEqual(JSON.parse(entrypoint), ["node", ...SERVE_NODE_FLAGS, "/app/bin/podgate.js"]);
});

test("the pinned Node accepts every serve flag (a misspelt V8 flag stops node at start)", () => {
  const result = spawnSync(process.execPath, [...SERVE_NODE_FLAGS, "-e", "process.exit(0)"], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stderr);
});

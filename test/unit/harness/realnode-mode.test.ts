import assert from "node:assert/strict";
import { test } from "node:test";
import { readRealNodeMode } from "../../harness/realnode.ts";

test("PODGATE_REAL_NODE is 1 (required), 0 (off) or auto, the default when unset or empty", () => {
  assert.equal(readRealNodeMode(undefined), "auto");
  assert.equal(readRealNodeMode(""), "auto");
  assert.equal(readRealNodeMode("1"), "1");
  assert.equal(readRealNodeMode("0"), "0");
  assert.throws(() => readRealNodeMode("yes"), /PODGATE_REAL_NODE=yes: expected 1, 0 or auto/);
});

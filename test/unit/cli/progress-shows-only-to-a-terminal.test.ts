// Progress on long runs is for people at a terminal: nothing when output is
// piped or the run is short, a line rewritten in place and cleared otherwise.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { progressLine } from "../../../src/cli/progress.ts";

function sink(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

test("piped or short: nothing is written", () => {
  for (const [interactive, total] of [[false, 1000], [true, 10]] as const) {
    const out = sink();
    const progress = progressLine("evaluated", interactive, out.stream);
    for (let i = 0; i <= total; i++) progress.tick(i, total);
    progress.end();
    assert.equal(out.text(), "");
  }
});

test("at a terminal: the count in place, the last tick shown, the line cleared at the end", () => {
  const out = sink();
  const progress = progressLine("evaluated", true, out.stream);
  for (let i = 0; i <= 1000; i++) progress.tick(i, 1000);
  progress.end();
  assert.match(out.text(), /^\revaluated 0\/1000 \(0%\)/);
  assert.ok(out.text().includes("\revaluated 1000/1000 (100%)"));
  assert.ok(out.text().endsWith("\r\x1b[K"));
});

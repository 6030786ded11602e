// docs/toolkit.md covers every name a user can import from "podgate" and
// "podgate/testing": values and types alike, read from the entry points' source.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8");

/** Every exported name of a module's source: re-export lists and declarations. */
function exportedNames(source: string): string[] {
  const lists = [...source.matchAll(/^export (?:type )?\{([^}]*)\}/gm)].flatMap((m) =>
    m[1]!.split(",").map((item) => item.trim().replace(/^type /, "").split(/\s+as\s+/).pop()!.trim()),
  );
  const declared = [...source.matchAll(/^export (?:async )?(?:function|interface|type|const|class) (\w+)/gm)].map((m) => m[1]!);
  return [...lists, ...declared].filter((name) => name !== "");
}

const docs = read("docs/toolkit.md");

for (const entry of ["src/index.ts", "src/testing.ts"]) {
  test(`every export of ${entry} is in docs/toolkit.md`, () => {
    const names = exportedNames(read(entry));
    assert.ok(names.length > 10, `found only ${names.join(", ")}`);
    const missing = names.filter((name) => !new RegExp(`\`${name}\\b`).test(docs));
    assert.deepEqual(missing, []);
  });
}

test("the reader of exports sees what the runtime module exports", async () => {
  const runtime = Object.keys(await import("../../../src/index.ts"));
  const names = exportedNames(read("src/index.ts"));
  assert.deepEqual(runtime.filter((name) => !names.includes(name)), []);
});

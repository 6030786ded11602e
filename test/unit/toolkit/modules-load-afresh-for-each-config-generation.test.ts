// A reloaded config must see its modules' new code. Node keeps a module for
// the life of the process (an ES module loaded by require() cannot be
// evicted), so each config generation loads them under names of its own;
// the local files they import are fresh too, and listed, so editing one
// reloads the config.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ModuleLoader } from "../../../src/toolkit/modules.ts";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "podgate-generations-"));
  await writeFile(join(dir, "package.json"), '{"type": "module"}\n');
  await writeFile(join(dir, "helper.ts"), "export const value: number = 1;\n");
  await writeFile(join(dir, "webhook.ts"), 'import { value } from "./helper.ts";\nexport default { value };\n');
  await writeFile(join(dir, "helper.cjs"), "module.exports = 1;\n");
  await writeFile(join(dir, "plugin.cjs"), 'module.exports = { value: require("./helper.cjs") };\n');
});
after(() => rm(dir, { recursive: true, force: true }));

for (const [kind, entry, helper, edit] of [
  ["an ES module (TypeScript)", "webhook.ts", "helper.ts", "export const value: number = 2;\n"],
  ["a CommonJS module", "plugin.cjs", "helper.cjs", "module.exports = 2;\n"],
] as const) {
  test(`${kind}: the same generation reuses it, the next one loads it and what it imports afresh`, async () => {
    const first = new ModuleLoader(0);
    assert.deepEqual(first.load(join(dir, entry)), { value: 1 });
    assert.deepEqual([...first.files].sort(), [join(dir, entry), join(dir, helper)].sort(), "the module and the local file it imports");
    await writeFile(join(dir, helper), edit);
    assert.deepEqual(new ModuleLoader(0).load(join(dir, entry)), { value: 1 }, "Node's cache: why generations exist");
    const next = new ModuleLoader(1);
    assert.deepEqual(next.load(join(dir, entry)), { value: 2 });
    assert.deepEqual([...next.files].sort(), [join(dir, entry), join(dir, helper)].sort());
  });
}

test("a missing module is named, and still listed so that creating it reloads the config", () => {
  const loader = new ModuleLoader(3);
  const missing = join(dir, "absent.ts");
  assert.throws(() => loader.load(missing), { message: `${missing}: cannot load module: no such file` });
  assert.ok(loader.files.includes(missing));
});

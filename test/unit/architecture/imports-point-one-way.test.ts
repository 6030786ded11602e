// The layout's rules, read from the tree: no import circle among podgate's
// modules, and webhooks/ and extender/ depend on src/, never the other way,
// except where src/ wires them in (wiring.ts) or publishes them (the package's
// entry points, index.ts and testing.ts, and the Registry's plugin type).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const ROOT = new URL("../../../", import.meta.url).pathname;
const LAYERS = ["src", "webhooks", "extender"];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?[^;]*?from\s+["'](\.[^"']+)["']/g;

function modules(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
  return LAYERS.flatMap((layer) => walk(join(ROOT, layer)));
}

/** Each module's static imports of other modules of podgate, as paths from the repository root. */
function importGraph(): Map<string, string[]> {
  const files = modules();
  const known = new Set(files);
  return new Map(
    files.map((file) => [
      relative(ROOT, file),
      [...readFileSync(file, "utf8").matchAll(IMPORT)].map((m) => resolve(dirname(file), m[1]!)).filter((t) => known.has(t)).map((t) => relative(ROOT, t)),
    ]),
  );
}

/** A circle of imports, as the list of modules around it; undefined when there is none. */
function findCircle(graph: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const circle = visit(node);
    if (circle) return circle;
  }
  return undefined;
}

test("no import circle among podgate's modules (and the check finds one)", () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  assert.equal(findCircle(graph)?.join(" → "), undefined);
  assert.deepEqual(findCircle(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]]])), ["a", "b", "c", "a"]);
});

test("src/ reaches into webhooks/ and extender/ only where it wires or publishes them", () => {
  const allowed = new Set(["src/wiring.ts", "src/index.ts", "src/testing.ts", "src/toolkit/registry.ts"]);
  const reaching = [...importGraph()].filter(([file, imports]) => file.startsWith("src/") && imports.some((i) => !i.startsWith("src/"))).map(([file]) => file);
  assert.deepEqual(reaching.filter((file) => !allowed.has(file)), []);
});

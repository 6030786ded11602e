// A reload replaces the served config between requests: a request keeps the
// generation it started with, and the replaced generation is retired (its
// policy workers stopped) only after its last request, never under one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { differences } from "../../../src/server/reload.ts";
import { ServedConfig } from "../../../src/server/served-config.ts";

const config = (name: string, retired: string[]) => ({ mutating: [], validating: [], name, retire: () => retired.push(name) });

test("a request started before the swap finishes on the old config, which retires after it", async () => {
  const retired: string[] = [];
  const served = new ServedConfig(config("a", retired));
  let release!: () => void;
  const held = served.use(async (generation) => {
    await new Promise<void>((resolve) => (release = resolve));
    return generation.config.name;
  });
  served.swap(config("b", retired));
  assert.equal(await served.use((generation) => Promise.resolve(generation.config.name)), "b", "the next request sees the new config");
  assert.deepEqual(retired, [], "a is still in use");
  release();
  assert.equal(await held, "a");
  assert.deepEqual(retired, ["a"]);
});

test("a config with nothing in flight retires at the swap; the last one when the server stops", () => {
  const retired: string[] = [];
  const served = new ServedConfig(config("a", retired));
  served.swap(config("b", retired));
  assert.deepEqual(retired, ["a"]);
  served.retire();
  assert.deepEqual(retired, ["a", "b"]);
});

test("a request that throws still releases its generation", async () => {
  const retired: string[] = [];
  const served = new ServedConfig(config("a", retired));
  const failing = served.use(async () => {
    await Promise.resolve();
    throw new Error("boom");
  });
  served.swap(config("b", retired));
  await assert.rejects(failing, /boom/);
  assert.deepEqual(retired, ["a"]);
});

test("the keys that need a restart are named by path, as deep as both sides are objects", () => {
  assert.deepEqual(differences({ server: { port: 1, metrics: { port: 2 } }, extender: { weight: 1 } }, { server: { port: 1, metrics: { port: 3 } }, extender: { weight: 1 } }), ["server.metrics.port"]);
  assert.deepEqual(differences({ server: { tlsHosts: ["a"] } }, { server: { tlsHosts: ["a", "b"] } }), ["server.tlsHosts"]);
  assert.deepEqual(differences({ certificates: { mode: "local" } }, { certificates: { mode: "secret" }, extra: 1 }), ["certificates.mode", "extra"]);
  assert.deepEqual(differences({ a: { b: 1 } }, { a: { b: 1 } }), []);
});

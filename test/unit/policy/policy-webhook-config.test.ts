import assert from "node:assert/strict";
import { test } from "node:test";
import { registry } from "../../../src/wiring.ts";
import { defaultConfigText } from "../../../src/config/default.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { podRequest } from "./requests.ts";

const context = { signal: new AbortController().signal, dryRun: false };

test("the embedded default config denies privileged pods and warns on :latest images", async () => {
  const config = parseConfig(await defaultConfigText(), registry, "default");
  const [handler] = config.validating;
  assert.equal(handler?.name, "policy");
  const privileged = await handler.handle(podRequest({ containers: [{ name: "app", image: "nginx:1.27", securityContext: { privileged: true } }] }), context);
  assert.equal(privileged.allowed, false);
  assert.equal(privileged.status?.code, 403);
  assert.match(privileged.status?.message ?? "", /privileged: container "app" must not set securityContext\.privileged=true/);
  const latest = await handler.handle(podRequest({ containers: [{ name: "app", image: "nginx:latest" }] }), context);
  assert.equal(latest.allowed, true);
  assert.deepEqual(latest.warnings, ["policy disallow-latest-tag: images must have a tag other than :latest or a digest: nginx:latest"]);
});

const configWith = (settings: string) => `admission:\n  validating:\n    - name: p\n      type: policy\n      settings:\n${settings}`;

test("bad policy settings are config errors naming the entry", () => {
  assert.throws(() => parseConfig(configWith("        library: [nope]\n"), registry), (e: unknown) => e instanceof ConfigError && /admission\.validating\[0\]\.settings\.library\[0\]\.name: no library policy or set "nope"/.test(e.message));
  assert.throws(() => parseConfig(configWith("        libary: [x]\n"), registry), /admission\.validating\[0\]\.settings\.libary: unknown key/);
  assert.throws(() => parseConfig(configWith("        files: []\n"), registry), /no policies/);
});

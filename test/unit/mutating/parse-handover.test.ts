// The sidecar hands its output to the next mutator as already parsed when the
// parts it added fit the pod schemas; these prove the handover changes nothing.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import type { KubeObject } from "../../../src/admission/review.ts";
import { registry } from "../../../src/builtins.ts";
import { buildConfig, parseConfig } from "../../../src/config/load.ts";
import { readPodCreate } from "../../../webhooks/pod/request.ts";
import { pod } from "../../../webhooks/pod/shape.ts";
import { podRequest } from "../../support/admission.ts";

const dir = new URL("../../fixtures/mutating/", import.meta.url);
const config = parseConfig(readFileSync(new URL("config.yaml", dir), "utf8"), registry, "config.yaml");
const sidecar = config.mutating.find((h) => h.name === "sidecar")!;
const cases = readdirSync(dir).filter((f) => f.startsWith("sidecar-") && f.endsWith(".yaml") && !f.endsWith(".injected.yaml"));
const context = { signal: new AbortController().signal, dryRun: false };

describe("the sidecar's parse handover", () => {
  for (const file of cases) {
    it(`${file}: the next mutator reads the injected pod exactly as a fresh parse would`, async () => {
      const decision = await sidecar.handle(podRequest(parse(readFileSync(new URL(file, dir), "utf8")) as KubeObject), context);
      if (!decision.object) return;
      const read = readPodCreate(podRequest(decision.object));
      const fresh = pod.safeParse(structuredClone(decision.object));
      assert.ok(fresh.success && read.kind === "pod");
      assert.deepEqual(read.pod, fresh.data);
    });
  }

  it("a part that fits Kubernetes but not the pod schema (a mount without mountPath) is not handed over: the next mutator still finds it unreadable", async () => {
    const loose = buildConfig(
      { admission: { mutating: [{ name: "sidecar", type: "sidecar", settings: { defaultTemplate: "t", templates: { t: { containers: [{ name: "side", image: "registry.example.com/side:1" }], volumeMounts: [{ name: "data" }] } } } }] } },
      registry,
      "(test)",
    );
    const input = { metadata: { name: "p", annotations: { "sidecar.podgate.io/inject": "true" } }, spec: { containers: [{ name: "app", image: "app:1" }] } };
    const decision = await loose.mutating[0]!.handle(podRequest(input), context);
    assert.ok(decision.object, "injected");
    const read = readPodCreate(podRequest(decision.object));
    assert.equal(read.kind, "unreadable");
    assert.match(read.kind === "unreadable" ? read.message : "", /mountPath/);
  });
});

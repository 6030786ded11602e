import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deny, defineMutatingWebhook, defineValidatingWebhook, pod, warn, allow, z } from "../../../src/index.ts";
import { admissionRequestFor, assertAllowed, assertDenied, assertPatch, runWebhook } from "../../../src/testing.ts";

const aPod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "shop" }, spec: { containers: [{ name: "app", image: "nginx" }] } };

describe("defineMutatingWebhook", () => {
  it("turns an in-place edit of the typed object into the JSON patch", async () => {
    const team = defineMutatingWebhook({
      settings: z.strictObject({ team: z.string() }),
      object: pod,
      mutate: ({ object, settings }) => {
        if (object) object.metadata.labels = { ...object.metadata.labels, team: settings.team };
      },
    });
    const result = await runWebhook(team, admissionRequestFor(aPod), { settings: { team: "payments" } });
    assertPatch(result, [{ op: "add", path: "/metadata/labels", value: { team: "payments" } }]);
    assert.deepEqual((result.object?.["metadata"] as { labels: unknown }).labels, { team: "payments" });
  });

  it("takes a returned copy, and makes no patch when nothing changed", async () => {
    const copy = defineMutatingWebhook({ mutate: ({ object }) => ({ ...object, metadata: { name: "web", namespace: "shop", annotations: { a: "b" } } }) });
    assertPatch(await runWebhook(copy, admissionRequestFor(aPod)), [{ op: "add", path: "/metadata/annotations", value: { a: "b" } }]);
    const idle = defineMutatingWebhook({ mutate: () => undefined });
    assertPatch(await runWebhook(idle, admissionRequestFor(aPod)), []);
  });

  it("passes a returned decision through: a denial, or warnings", async () => {
    const refuse = defineMutatingWebhook({ mutate: () => deny("not here", 403) });
    assertDenied(await runWebhook(refuse, admissionRequestFor(aPod)), "not here");
    const warns = defineMutatingWebhook({ mutate: () => warn(allow(), "careful") });
    assert.deepEqual((await runWebhook(warns, admissionRequestFor(aPod))).warnings, ["careful"]);
  });

  it("denies with 400 naming the field when the object does not fit its schema", async () => {
    const typed = defineMutatingWebhook({ object: pod, mutate: () => undefined });
    const result = await runWebhook(typed, admissionRequestFor({ ...aPod, spec: { containers: "none" } }));
    assertDenied(result, "object.spec.containers");
    assert.equal(result.code, 400);
  });

  it("follows failurePolicy when the function throws, as every webhook does", async () => {
    const broken = defineMutatingWebhook({
      mutate: () => {
        throw new Error("boom");
      },
    });
    assertDenied(await runWebhook(broken, admissionRequestFor(aPod), { name: "broken" }), 'podgate webhook "broken" failed: boom');
    assertAllowed(await runWebhook(broken, admissionRequestFor(aPod), { failurePolicy: "Ignore" }));
  });

  it("prepares per entry with create(), and refuses a definition with both or neither function", async () => {
    let created = 0;
    const prepared = defineMutatingWebhook({
      settings: z.strictObject({ n: z.number() }),
      create: (settings) => {
        created++;
        return ({ object }) => ({ ...object, n: settings.n });
      },
    });
    assertPatch(await runWebhook(prepared, admissionRequestFor(aPod), { settings: { n: 1 } }), [{ op: "add", path: "/n", value: 1 }]);
    assert.equal(created, 1);
    assert.throws(() => defineMutatingWebhook({}), /exactly one of mutate\(\) and create\(\)/);
  });

  it("checks settings by the definition's schema, naming the key", async () => {
    const strict = defineMutatingWebhook({ settings: z.strictObject({ team: z.string() }), mutate: () => undefined });
    await assert.rejects(runWebhook(strict, admissionRequestFor(aPod), { settings: { team: 1 } }), /settings\.team/);
  });
});

describe("defineValidatingWebhook", () => {
  it("allows on nothing, denies with 403 on messages, and passes decisions through", async () => {
    const rule = defineValidatingWebhook({
      object: pod,
      validate: ({ object }) => (object?.spec.hostNetwork ? ["hostNetwork is not allowed", "ask the platform team"] : undefined),
    });
    assertAllowed(await runWebhook(rule, admissionRequestFor(aPod)));
    const denied = await runWebhook(rule, admissionRequestFor({ ...aPod, spec: { ...aPod.spec, hostNetwork: true } }));
    assertDenied(denied, "hostNetwork is not allowed; ask the platform team");
    assert.equal(denied.code, 403);
    const teapot = defineValidatingWebhook({ validate: () => Promise.resolve(deny("teapot", 418)) });
    assert.equal((await runWebhook(teapot, admissionRequestFor(aPod))).code, 418);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caBundlePatches, trustsCa, type WebhookConfigView } from "../../../src/certs/cabundle.ts";
import { createCa } from "../../../src/certs/generate.ts";

const a = createCa({ bits: 1024, commonName: "a" }).cert;
const b = createCa({ bits: 1024, commonName: "b" }).cert;
const b64 = (pem: string) => Buffer.from(pem).toString("base64");

function configs(bundles: Array<string | undefined>): WebhookConfigView[] {
  return [
    { kind: "MutatingWebhookConfiguration", name: "podgate", webhooks: bundles.slice(0, 2).map((bundle, i) => ({ name: `m${i}.podgate.io`, ...(bundle ? { caBundle: b64(bundle) } : {}) })) },
    { kind: "ValidatingWebhookConfiguration", name: "podgate", webhooks: bundles.slice(2).map((bundle, i) => ({ name: `v${i}.podgate.io`, ...(bundle ? { caBundle: b64(bundle) } : {}) })) },
  ];
}

describe("caBundle in podgate's webhook configurations", () => {
  it("patches every webhook without a bundle, testing each webhook's name first", () => {
    const patches = caBundlePatches(configs([undefined, undefined, undefined]), a);
    assert.equal(patches.length, 2);
    assert.deepEqual(patches[0], {
      kind: "MutatingWebhookConfiguration",
      name: "podgate",
      webhooks: ["m0.podgate.io", "m1.podgate.io"],
      patch: [
        { op: "test", path: "/webhooks/0/name", value: "m0.podgate.io" },
        { op: "add", path: "/webhooks/0/clientConfig/caBundle", value: b64(a) },
        { op: "test", path: "/webhooks/1/name", value: "m1.podgate.io" },
        { op: "add", path: "/webhooks/1/clientConfig/caBundle", value: b64(a) },
      ],
    });
  });

  it("leaves alone webhooks that already carry the same certificates, in any order or line ending", () => {
    const crlf = (b + a).replace(/\n/g, "\r\n");
    assert.deepEqual(caBundlePatches(configs([a + b, crlf, b + a]), a + b), []);
    const partial = caBundlePatches(configs([a + b, a, b + a]), a + b);
    assert.deepEqual(partial.map((p) => p.webhooks), [["m1.podgate.io"]]);
    assert.deepEqual(partial[0]!.patch[0], { op: "test", path: "/webhooks/1/name", value: "m1.podgate.io" });
  });

  it("trusts a CA only when every webhook's bundle holds it", () => {
    assert.equal(trustsCa(configs([a + b, a, b + a]), a), true);
    assert.equal(trustsCa(configs([a + b, b, a]), a), false);
    assert.equal(trustsCa(configs([a, a, undefined]), a), false);
    assert.equal(trustsCa([], a), true, "no configurations: nothing to wait for");
  });
});

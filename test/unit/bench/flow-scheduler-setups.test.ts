// The flow bench's three scheduler configurations, derived from podgate's
// `scheduler-config` output: what each keeps and drops.
import assert from "node:assert/strict";
import { it } from "node:test";
import { SCHEDULERS } from "../../../bench/flow.ts";

const podgate = {
  apiVersion: "kubescheduler.config.k8s.io/v1",
  kind: "KubeSchedulerConfiguration",
  extenders: [{ urlPrefix: "https://127.0.0.1:1/extender", filterVerb: "filter", prioritizeVerb: "prioritize", bindVerb: "bind", weight: 20, nodeCacheCapable: true, enableHTTPS: true }],
};
const [plain, cacheOnly, withBind] = SCHEDULERS.map((s) => s.config(podgate));

it("runs no extender, podgate without bind, and podgate with bind, in that order", () => {
  assert.equal(SCHEDULERS.length, 3);
  assert.equal(plain!["extenders"], undefined);
  const [noBind] = cacheOnly!["extenders"] as Record<string, unknown>[];
  assert.deepEqual(noBind, { urlPrefix: "https://127.0.0.1:1/extender", filterVerb: "filter", prioritizeVerb: "prioritize", weight: 20, nodeCacheCapable: true, enableHTTPS: true });
  assert.deepEqual(withBind!["extenders"], podgate.extenders);
  assert.equal(podgate.extenders[0]!.bindVerb, "bind", "podgate's configuration is not modified");
});

it("lifts the scheduler's client rate limits in every configuration alike", () => {
  for (const config of [plain, cacheOnly, withBind]) assert.deepEqual(config!["clientConnection"], { qps: 5000, burst: 5000 });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { MEMO_LIMIT, renderForPod } from "../../../webhooks/sidecar/memo.ts";
import { renderTemplate, templateSchema } from "../../../webhooks/sidecar/template.ts";

const template = templateSchema.parse({
  values: { image: { type: "image", default: "registry.example.com/proxy:1" } },
  containers: [{ name: "proxy", image: "{{ values.image }}", env: [{ name: "POD", value: "{{ pod.name }}" }, { name: "TEAM", value: "{{ pod.labels['team'] }}" }] }],
});

const facts = (name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({ name, namespace: "default", serviceAccount: "default", labels, annotations });
const values = { image: "registry.example.com/proxy:1" };

test("a memoised render equals a fresh render, for the same and for different resolutions", () => {
  for (const pod of [facts("web"), facts("web", { team: "a" }), facts("api", { team: "b" })]) {
    assert.deepEqual(renderForPod(template, { pod, values }), renderTemplate(template, { pod, values }));
  }
});

test("pods that resolve the placeholders alike share one render; what the template does not read does not matter", () => {
  const first = renderForPod(template, { pod: facts("web", { team: "a" }, { unrelated: "1" }), values });
  const second = renderForPod(template, { pod: facts("web", { team: "a", other: "x" }, { unrelated: "2" }), values });
  assert.equal(first, second);
  assert.notEqual(renderForPod(template, { pod: facts("web", { team: "b" }), values }), first);
  assert.notEqual(renderForPod(template, { pod: facts("web", { team: "a" }), values: { image: "registry.example.com/proxy:2" } }), first);
});

test("a shared render is frozen, so no pod's edit can leak into another's", () => {
  const result = renderForPod(template, { pod: facts("frozen"), values });
  assert.ok(result.ok);
  assert.throws(() => {
    (result.rendered.containers[0]!.env![0]! as { value?: unknown }).value = "changed";
  }, TypeError);
});

test("invalid renders are memoised too, and the memo starts over past its limit", () => {
  const bad = templateSchema.parse({ containers: [{ name: "p{{ pod.labels['n'] }}x", image: "x" }] });
  const invalid = renderForPod(bad, { pod: facts("p", { n: "_" }), values: {} });
  assert.equal(invalid.ok, false);
  assert.equal(renderForPod(bad, { pod: facts("q", { n: "_" }), values: {} }), invalid);
  for (let i = 0; i < MEMO_LIMIT; i++) renderForPod(bad, { pod: facts("p", { n: `n${i}` }), values: {} });
  assert.notEqual(renderForPod(bad, { pod: facts("p", { n: "_" }), values: {} }), invalid);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { targetsOf } from "../../../webhooks/policy/workload.ts";

const template = { metadata: { labels: { app: "x" } }, spec: { containers: [{ name: "c", image: "i:1" }] } };

test("a CronJob is admitted as itself and as the Pod its job template makes", () => {
  const cronJob = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "nightly", namespace: "ops" }, spec: { jobTemplate: { spec: { template } } } };
  const [self, pod] = targetsOf(cronJob);
  assert.equal(self?.label, "CronJob ops/nightly");
  assert.deepEqual(self.request.resource, { group: "batch", version: "v1", resource: "cronjobs" });
  assert.equal(pod?.label, "CronJob ops/nightly (spec.jobTemplate.spec.template)");
  assert.equal(pod.name, "nightly");
  assert.deepEqual(pod.request.resource, { group: "", version: "v1", resource: "pods" });
  assert.equal(pod.request.namespace, "ops");
  assert.deepEqual(pod.request.object?.["metadata"], { labels: { app: "x" }, generateName: "nightly-", namespace: "ops" });
});

test("a Pod without a namespace lands in default; a Namespace is cluster-scoped", () => {
  const [pod] = targetsOf({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} });
  assert.equal(pod?.request.namespace, "default");
  const [ns] = targetsOf({ apiVersion: "v1", kind: "Namespace", metadata: { name: "prod" } });
  assert.equal(ns?.request.namespace, undefined);
  assert.equal(ns?.request.resource.resource, "namespaces");
});

test("UPDATE carries the object as oldObject too; DELETE only as oldObject", () => {
  const manifest = { apiVersion: "v1", kind: "Pod", metadata: { name: "p" }, spec: {} };
  const [update] = targetsOf(manifest, "UPDATE");
  assert.ok(update?.request.object && update.request.oldObject);
  const [del] = targetsOf(manifest, "DELETE");
  assert.equal(del?.request.object, null);
  assert.ok(del?.request.oldObject);
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import { extenderConfigOf, registry } from "../../../src/wiring.ts";
import { ConfigError, parseConfig } from "../../../src/config/load.ts";
import { podgateSchedulerConfig } from "../../../extender/config.ts";
import { extendedResourceProblem } from "../../../extender/scheduler-config.ts";
import { readFileSync } from "node:fs";

const load = (yaml: string) => extenderConfigOf(parseConfig(yaml, registry));
const problems = (yaml: string) => {
  try {
    load(yaml);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.join("\n");
  }
  assert.fail("expected a config error");
};

describe("extender config section", () => {
  it("defaults to full-NodeList mode with filter and score plugins", () => {
    const section = load("");
    assert.equal(section.enabled, true);
    assert.equal(section.nodeCacheCapable, false);
    assert.deepEqual(section.framework.filters.map((f) => f.name), ["resource-fit", "node-rules"]);
    assert.deepEqual(section.framework.scorers.map((s) => s.name), ["node-rules", "least-allocated", "balanced-allocation", "zone-spread"]);
  });
  it("the embedded default config serves the extender", () => {
    const section = extenderConfigOf(parseConfig(readFileSync(new URL("../../../config/default.yaml", import.meta.url), "utf8"), registry));
    assert.equal(section.enabled && section.framework.filters.length > 0 && section.framework.scorers.length > 0, true);
  });
  const refused: [string, string, RegExp][] = [
    ["weight 0 with prioritize", "extender: {weight: 0}", /^extender\.weight: must be positive when prioritizing, got 0$/m],
    ["a filter verb with no filter plugin", "extender: {plugins: [{name: least-allocated}]}", /^extender\.filter: the filter verb is on but no enabled plugin filters/m],
    ["a prioritize verb with no score plugin", "extender: {plugins: [{name: resource-fit}]}", /^extender\.prioritize: the prioritize verb is on but no enabled plugin scores/m],
    ["an unknown plugin", "extender: {plugins: [{name: gpu-magic}]}", /^extender\.plugins\[0\]\.name: unknown plugin "gpu-magic"; expected one of: resource-fit, /m],
    ["a duplicate plugin", "extender: {plugins: [{name: resource-fit}, {name: resource-fit}, {name: zone-spread}]}", /^extender\.plugins\[1\]\.name: plugin "resource-fit" is listed twice/m],
    ["bad plugin settings", "extender: {plugins: [{name: node-rules, settings: {rules: [{namespaces: []}]}}]}", /^extender\.plugins\[0\]\.settings\.rules\[0\]\.namespaces: /m],
    ["unknown plugin settings", "extender: {plugins: [{name: resource-fit, settings: {colour: red}}, {name: zone-spread}]}", /^extender\.plugins\[0\]\.settings\.colour: unknown key$/m],
    ["preempt without the node cache", "extender: {preempt: true}", /^extender\.preempt: preempt needs nodeCacheCapable: true/m],
    ["a native managed resource", "extender: {managedResources: [{name: cpu}]}", /^extender\.managedResources\[0\]\.name: "cpu" is not an extended resource name/m],
    ["a kubernetes.io managed resource", "extender: {managedResources: [{name: kubernetes.io/gpu}]}", /reserved for native resources/],
    ["a duplicate managed resource", "extender: {managedResources: [{name: example.com/gpu}, {name: example.com/gpu}]}", /^extender\.managedResources\[1\]\.name: duplicate managed resource "example.com\/gpu"/m],
    ["a relative urlPrefix", "extender: {urlPrefix: extender}", /^extender\.urlPrefix: expected an absolute URL path/m],
    ["an unknown key", "extender: {filterVerb: x}", /^extender\.filterVerb: unknown key$/m],
  ];
  for (const [what, yaml, expected] of refused) it(`refuses ${what}`, () => assert.match(problems(yaml), expected));
  it("accepts a weight of 0 when not prioritizing", () => assert.equal(load("extender: {weight: 0, prioritize: false}").weight, 0));
  it("knows an extended resource name", () => {
    assert.equal(extendedResourceProblem("example.com/gpu"), undefined);
    assert.match(extendedResourceProblem("example.com/bad name")!, /not a qualified resource name/);
  });
});

describe("generated KubeSchedulerConfiguration", () => {
  const section = load("extender: {nodeCacheCapable: true, preempt: true, bind: {enabled: true}, weight: 3, httpTimeoutSeconds: 2, ignorable: true, managedResources: [{name: example.com/gpu}]}");
  it("carries every extenders: field for the default scheduler", () => {
    const result = podgateSchedulerConfig(section, { url: "https://127.0.0.1:8443/extender", caPem: "PEM" });
    assert.ok(result.ok);
    assert.deepEqual(result.config, {
      apiVersion: "kubescheduler.config.k8s.io/v1",
      kind: "KubeSchedulerConfiguration",
      profiles: [{ schedulerName: "default-scheduler" }],
      extenders: [
        {
          urlPrefix: "https://127.0.0.1:8443/extender",
          filterVerb: "filter",
          prioritizeVerb: "prioritize",
          weight: 3,
          preemptVerb: "preempt",
          bindVerb: "bind",
          enableHTTPS: true,
          httpTimeout: "2s",
          nodeCacheCapable: true,
          managedResources: [{ name: "example.com/gpu", ignoredByScheduler: false }],
          ignorable: true,
          tlsConfig: { caData: Buffer.from("PEM").toString("base64") },
        },
      ],
    });
  });
  it("configures a second scheduler by name, with its own leader lock and the CA by file", () => {
    const result = podgateSchedulerConfig(section, { url: "https://10.0.0.5:8443/extender", caFile: "/etc/podgate/ca.crt", profileName: "podgate", kubeconfig: "/etc/kubernetes/scheduler.conf" });
    assert.ok(result.ok);
    assert.deepEqual(result.config.profiles, [{ schedulerName: "podgate" }]);
    assert.deepEqual(result.config["leaderElection"], { leaderElect: true, resourceName: "podgate", resourceNamespace: "kube-system" });
    assert.deepEqual(result.config["clientConnection"], { kubeconfig: "/etc/kubernetes/scheduler.conf" });
    assert.deepEqual(result.config.extenders?.[0]?.tlsConfig, { caFile: "/etc/podgate/ca.crt" });
  });
  it("merges into an existing configuration and refuses a second binder and a shared managed resource", () => {
    const base = parseYaml(`
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
extenders:
- urlPrefix: http://other/
  bindVerb: bind
  managedResources: [{name: example.com/gpu}]
`);
    const result = podgateSchedulerConfig(section, { url: "https://podgate/extender", base });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems, [
      'extenders[1].managedResources[0].name: duplicate managed resource "example.com/gpu": another extender already manages it',
      "extenders[1].bindVerb: only one extender may bind; extenders 0, 1 all set bindVerb",
    ]);
  });
  it("names what is wrong in a merged file that is not a KubeSchedulerConfiguration", () => {
    const result = podgateSchedulerConfig(section, { url: "https://podgate/extender", base: { apiVersion: "v1", kind: "KubeSchedulerConfiguration" } });
    assert.match(!result.ok ? result.problems[0]! : "", /^\(merged config\)\.apiVersion: /);
  });
});

// charts/podgate and manifests/ must not drift: with the same settings, helm
// template renders the objects kubectl kustomize renders (Helm's own labels
// aside), the config included. Every values file below renders a config that
// podgate loads, the chart passes helm lint --strict, and values.schema.json
// refuses what the chart cannot render, naming the key. Needs helm from
// controlplane/build.sh helm (npm run test:chart builds it, cached).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { parse, parseAllDocuments, stringify } from "yaml";
import { buildConfig } from "../../src/config/load.ts";
import { registry } from "../../src/wiring.ts";
import { binDir } from "../../src/harness/controlplane.ts";
import { REPO } from "../support/build.ts";

type Obj = Record<string, any>;
const HELM = join(binDir(), "helm");
const CHART = join(REPO, "charts/podgate");
const HELM_LABELS = ["app.kubernetes.io/instance", "app.kubernetes.io/managed-by", "helm.sh/chart"];
const work = mkdtempSync(join(tmpdir(), "podgate-chart-"));
after(() => rmSync(work, { recursive: true, force: true }));

assert.ok(existsSync(HELM), `no helm at ${HELM}: run controlplane/build.sh helm (npm run test:chart does)`);

function helm(args: readonly string[], values?: Obj) {
  const files = values ? ["-f", join(work, `values-${Math.random().toString(36).slice(2)}.yaml`)] : [];
  if (values) writeFileSync(files[1]!, stringify(values));
  return spawnSync(HELM, [...args, ...files], { encoding: "utf8" });
}

function rendered(values: Obj = {}): Obj[] {
  const result = helm(["template", "podgate", CHART, "--namespace", "podgate"], values);
  assert.equal(result.status, 0, result.stderr);
  return parseAllDocuments(result.stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}

/** A kustomization of the base plus components, rendered as `kubectl kustomize` does (kustomize takes relative paths only). */
function kustomized(components: readonly string[] = []): Obj[] {
  const dir = mkdtempSync(join(work, "kustomize-"));
  writeFileSync(join(dir, "kustomization.yaml"), stringify({ apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: [relative(dir, join(REPO, "manifests/base"))], components: components.map((c) => relative(dir, join(REPO, "manifests/components", c))) }));
  const text = execFileSync("kubectl", ["kustomize", "--load-restrictor=LoadRestrictionsNone", dir], { encoding: "utf8" });
  return parseAllDocuments(text).map((d) => d.toJS() as Obj).filter(Boolean);
}

/** Keyed by kind/name, Helm's labels dropped, the config file parsed (comments and layout are not drift). */
function normalized(objects: readonly Obj[]): Map<string, Obj> {
  return new Map(
    objects.map((object) => {
      const copy = structuredClone(object);
      for (const label of HELM_LABELS) delete copy["metadata"]?.labels?.[label];
      if (copy["kind"] === "ConfigMap" && copy["data"]?.["config.yaml"]) copy["data"]["config.yaml"] = parse(copy["data"]["config.yaml"]);
      return [`${copy["kind"]}/${copy["metadata"].name}`, copy];
    }),
  );
}

function assertSameObjects(chart: readonly Obj[], kustomize: readonly Obj[]): void {
  const a = normalized(chart);
  const b = normalized(kustomize);
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), "the same objects");
  for (const [key, object] of b) assert.deepEqual(a.get(key), object, `${key} is the same`);
}

const configOf = (objects: readonly Obj[]): unknown => parse(objects.find((o) => o["kind"] === "ConfigMap" && o["metadata"].name === "podgate-config")!["data"]["config.yaml"]);

describe("charts/podgate", () => {
  it("passes helm lint --strict", () => {
    const result = helm(["lint", "--strict", CHART]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it("renders manifests/base with its defaults (the namespace created)", () => {
    assertSameObjects(rendered({ namespace: { create: true } }), kustomized());
  });

  it("renders manifests/base with components/cert-manager when certificates.mode is cert-manager", () => {
    assertSameObjects(rendered({ namespace: { create: true }, certificates: { mode: "cert-manager" } }), kustomized(["cert-manager"]));
  });

  it("renders users' policies, modules and extra webhooks into a config podgate loads, mounted where it reads them", () => {
    const objects = rendered({
      policies: { inline: { "team.yaml": "kind: Policy\n" } },
      modules: { inline: { "stamp.ts": "export default {};\n" } },
      webhooks: { sidecar: { enabled: false } },
      extraWebhooks: {
        mutating: [{ name: "stamp", module: "/app/modules/stamp.ts", failurePolicy: "Ignore", timeoutSeconds: 3 }],
        validating: [{ name: "team", module: "/app/modules/team.ts", rules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["DELETE"], resources: ["pods"] }] }],
      },
    });
    const config = configOf(objects) as Obj;
    assert.deepEqual(config["admission"].mutating.map((e: Obj) => e["name"]), ["defaults", "stamp"]);
    assert.deepEqual(config["admission"].validating.map((e: Obj) => e["name"]), ["policy", "team"]);
    assert.deepEqual(config["admission"].validating[0].settings.files, ["/etc/podgate/policies"]);
    const mutating = objects.find((o) => o["kind"] === "MutatingWebhookConfiguration")!["webhooks"][0];
    // Both Ignore: the call fails open; 5 + 3 seconds.
    assert.deepEqual([mutating.name, mutating.clientConfig.service.path, mutating.failurePolicy, mutating.timeoutSeconds], ["defaults.stamp.mutate.podgate.io", "/mutate/defaults/stamp", "Ignore", 8]);
    const team = objects.find((o) => o["kind"] === "ValidatingWebhookConfiguration")!["webhooks"].find((w: Obj) => w.name === "team.podgate.io");
    assert.deepEqual(team.rules[0].operations, ["DELETE"]);
    const mounts = objects.find((o) => o["kind"] === "Deployment")!["spec"].template.spec.containers[0].volumeMounts.map((m: Obj) => m["mountPath"]);
    assert.ok(mounts.includes("/etc/podgate/policies") && mounts.includes("/app/modules"), mounts.join(", "));
    // The config's own keys and the webhook entries' as podgate checks them (the modules' code is the user's).
    const withoutModules = structuredClone(config);
    withoutModules["admission"].mutating = withoutModules["admission"].mutating.filter((e: Obj) => !e["module"]);
    withoutModules["admission"].validating = withoutModules["admission"].validating.filter((e: Obj) => !e["module"]).map((e: Obj) => ({ ...e, settings: { library: e["settings"].library } }));
    buildConfig(withoutModules, registry, "(chart config)").retire();
  });

  it("the default config loads in podgate as it is, and with reports on (their section, the RBAC to scan and write)", () => {
    buildConfig(configOf(rendered()), registry, "(chart config)").retire();
    const objects = rendered({ reports: { enabled: true, intervalSeconds: 60 } });
    const config = buildConfig(configOf(objects), registry, "(chart config)");
    config.retire();
    assert.deepEqual(config.sections["reports"], { enabled: true, intervalSeconds: 60, qps: 5, namespace: "podgate", lease: "podgate-reports" });
    const role = objects.find((o) => o["kind"] === "ClusterRole" && o["metadata"].name === "podgate-reports")!;
    assert.ok(role["rules"].some((r: Obj) => r["apiGroups"].includes("wgpolicyk8s.io") && r["verbs"].includes("delete")));
  });

  it("values.schema.json refuses an unknown key, a misspelt enum and a validating webhook without rules, naming the key", () => {
    for (const [values, message] of [
      [{ replicas: 3 }, /additional properties 'replicas' not allowed/],
      [{ webhooks: { policy: { enabled: true, failurePolicy: "Fial" } } }, /\/webhooks\/policy\/failurePolicy.*'Fail', 'Ignore'/],
      [{ certificates: { mode: "vault" } }, /\/certificates\/mode/],
      [{ extraWebhooks: { validating: [{ name: "team", module: "/app/modules/team.ts" }] } }, /\/extraWebhooks\/validating\/0.*missing property 'rules'/s],
    ] as const) {
      const result = helm(["template", "podgate", CHART], values);
      assert.notEqual(result.status, 0, JSON.stringify(values));
      assert.match(result.stderr, message);
    }
  });

  it("its version is the package's", () => {
    const chart = parse(readFileSync(join(CHART, "Chart.yaml"), "utf8")) as Obj;
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as Obj;
    assert.equal(chart["version"], pkg["version"]);
    assert.equal(chart["appVersion"], pkg["version"]);
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";

const ROOT = new URL("../../../", import.meta.url).pathname;
const OVERLAYS = ["base", "overlays/kind", "overlays/local", "overlays/production", "overlays/production-cert-manager"];
const NAMESPACE = "podgate";
const SYSTEM_NAMESPACES = ["kube-system", "kube-node-lease", NAMESPACE];

type Obj = Record<string, any>;

function kubectl(): void {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
  } catch {
    assert.fail("kubectl is not on PATH: the manifest tests render every overlay with `kubectl kustomize`; install kubectl (https://kubernetes.io/docs/tasks/tools/) and run again");
  }
}

function render(overlay: string): Obj[] {
  const text = execFileSync("kubectl", ["kustomize", `${ROOT}manifests/${overlay}`], { encoding: "utf8" });
  return parseAllDocuments(text).map((d) => d.toJS() as Obj).filter(Boolean);
}

const ofKind = (objects: Obj[], kind: string) => objects.filter((o) => o["kind"] === kind);
const podSpecs = (objects: Obj[]) => [...ofKind(objects, "Deployment"), ...ofKind(objects, "Job")].map((o) => ({ name: `${o["kind"]}/${o["metadata"].name}`, spec: o["spec"].template.spec as Obj }));

describe("manifests: every overlay renders and keeps the cluster safe", () => {
  kubectl();
  for (const overlay of OVERLAYS) {
    describe(overlay, () => {
      const objects = render(overlay);
      const configMap = ofKind(objects, "ConfigMap").find((c) => c["metadata"].name.startsWith("podgate-config"));
      const config = parse(configMap?.["data"]["config.yaml"] ?? "{}") as Obj;

      it("has one Mutating and one Validating webhook configuration, every webhook on v1, sideEffects None, explicit timeout and failurePolicy", () => {
        const configs = [...ofKind(objects, "MutatingWebhookConfiguration"), ...ofKind(objects, "ValidatingWebhookConfiguration")];
        assert.equal(configs.length, 2);
        for (const webhook of configs.flatMap((c) => c["webhooks"] as Obj[])) {
          assert.deepEqual(webhook["admissionReviewVersions"], ["v1"], webhook["name"]);
          assert.equal(webhook["sideEffects"], "None", webhook["name"]);
          assert.ok(Number.isInteger(webhook["timeoutSeconds"]) && webhook["timeoutSeconds"] >= 1 && webhook["timeoutSeconds"] <= 30, `${webhook["name"]} timeoutSeconds`);
          assert.ok(["Fail", "Ignore"].includes(webhook["failurePolicy"]), `${webhook["name"]} failurePolicy`);
        }
      });

      it("excludes kube-system, kube-node-lease and podgate's own namespace from every webhook", () => {
        for (const config of [...ofKind(objects, "MutatingWebhookConfiguration"), ...ofKind(objects, "ValidatingWebhookConfiguration")]) {
          for (const webhook of config["webhooks"] as Obj[]) {
            const excluded = (webhook["namespaceSelector"]?.matchExpressions ?? []).filter((e: Obj) => e["key"] === "kubernetes.io/metadata.name" && e["operator"] === "NotIn");
            const values = new Set(excluded.flatMap((e: Obj) => e["values"] as string[]));
            for (const ns of SYSTEM_NAMESPACES) assert.ok(values.has(ns), `${webhook["name"]} does not exclude ${ns}`);
          }
        }
      });

      it("points each webhook at podgate's Service and a configured webhook of the same kind, failurePolicy and timeout", () => {
        const service = ofKind(objects, "Service").find((s) => s["metadata"].name === "podgate");
        assert.ok(service, "Service podgate");
        assert.ok((service["spec"].ports as Obj[]).some((p) => p["port"] === 443));
        const calls = (kind: string) => ofKind(objects, kind).flatMap((c) => c["webhooks"] as Obj[]);
        for (const webhook of [...calls("MutatingWebhookConfiguration"), ...calls("ValidatingWebhookConfiguration")]) {
          assert.deepEqual({ ...webhook["clientConfig"].service, path: undefined }, { name: "podgate", namespace: NAMESPACE, port: 443, path: undefined });
        }
        // The mutating webhooks as `podgate export webhooks` writes them: one call, in config order,
        // failing closed if any of them does, its timeout covering each one's.
        const mutating: Obj[] = config["admission"].mutating;
        assert.deepEqual(
          calls("MutatingWebhookConfiguration").map((w) => [w["clientConfig"].service.path, w["failurePolicy"], w["timeoutSeconds"], w["reinvocationPolicy"]]),
          [[`/mutate/${mutating.map((e) => e["name"]).join("/")}`, mutating.some((e) => (e["failurePolicy"] ?? "Fail") === "Fail") ? "Fail" : "Ignore", Math.min(30, mutating.reduce((sum, e) => sum + (e["timeoutSeconds"] ?? 10), 0)), "Never"]],
        );
        const validating: Obj[] = config["admission"].validating;
        const webhooks = calls("ValidatingWebhookConfiguration");
        assert.deepEqual(webhooks.map((w) => w["clientConfig"].service.path).sort(), validating.map((e) => `/validate/${e["name"]}`).sort(), "ValidatingWebhookConfiguration paths match admission config");
        for (const webhook of webhooks) {
          const entry = validating.find((e) => `/validate/${e["name"]}` === webhook["clientConfig"].service.path)!;
          assert.equal(webhook["failurePolicy"], entry["failurePolicy"] ?? "Fail", `${webhook["name"]} failurePolicy matches the config`);
          assert.equal(webhook["timeoutSeconds"], entry["timeoutSeconds"] ?? 10, `${webhook["name"]} timeoutSeconds matches the config`);
        }
      });

      it("runs every pod restricted: non-root, no privilege escalation, no capabilities, read-only root, RuntimeDefault seccomp, requests and limits", () => {
        const specs = podSpecs(objects);
        assert.ok(specs.length >= 1);
        for (const { name, spec } of specs) {
          assert.equal(spec["securityContext"]?.runAsNonRoot, true, `${name} runAsNonRoot`);
          assert.equal(spec["securityContext"]?.seccompProfile?.type, "RuntimeDefault", `${name} seccomp`);
          assert.equal(spec["hostNetwork"] ?? false, false);
          for (const container of [...(spec["initContainers"] ?? []), ...spec["containers"]] as Obj[]) {
            const sc = container["securityContext"] as Obj;
            assert.equal(sc["allowPrivilegeEscalation"], false, `${name}/${container["name"]}`);
            assert.equal(sc["readOnlyRootFilesystem"], true, `${name}/${container["name"]} readOnlyRootFilesystem`);
            assert.equal(sc["privileged"] ?? false, false);
            assert.deepEqual(sc["capabilities"]?.drop, ["ALL"], `${name}/${container["name"]} drops ALL capabilities`);
            assert.ok(!sc["capabilities"]?.add?.length, "adds no capabilities");
            for (const r of ["cpu", "memory"]) {
              assert.ok(container["resources"]?.requests?.[r], `${name}/${container["name"]} requests ${r}`);
              assert.ok(container["resources"]?.limits?.[r], `${name}/${container["name"]} limits ${r}`);
            }
          }
        }
      });

      it("serves from a highly available Deployment: 2+ replicas, anti-affinity, PDB, HTTPS probes, the serve command with config and TLS mounted", () => {
        const deployment = ofKind(objects, "Deployment").find((d) => d["metadata"].name === "podgate")!;
        assert.ok(deployment["spec"].replicas >= 2);
        const pod = deployment["spec"].template.spec as Obj;
        assert.ok(pod["affinity"]?.podAntiAffinity, "podAntiAffinity");
        const container = pod["containers"][0] as Obj;
        assert.equal(container["livenessProbe"].httpGet.scheme, "HTTPS");
        assert.equal(container["readinessProbe"].httpGet.scheme, "HTTPS");
        assert.equal(container["readinessProbe"].httpGet.path, "/readyz");
        for (const arg of ["serve", "--config=/etc/podgate/config/config.yaml", "--tls-dir=/etc/podgate/tls", "--host=0.0.0.0", "--metrics-host=0.0.0.0", "--metrics-port=9090"]) {
          assert.ok(container["args"].includes(arg), `args include ${arg}`);
        }
        const tls = (pod["volumes"] as Obj[]).find((v) => v["name"] === "tls")!;
        assert.equal(tls["secret"].secretName, "podgate-tls");
        assert.ok(!(tls["secret"].items as Obj[]).some((i) => i["key"] === "ca.key"), "the CA key is not mounted");
        assert.equal((pod["volumes"] as Obj[]).find((v) => v["name"] === "config")!["configMap"].name, configMap!["metadata"].name);
        const pdb = ofKind(objects, "PodDisruptionBudget")[0]!;
        assert.deepEqual(pdb["spec"].selector.matchLabels, deployment["spec"].selector.matchLabels);
        assert.ok(pdb["spec"].minAvailable >= 1 && pdb["spec"].minAvailable < deployment["spec"].replicas);
      });

      it("grants least privilege: no wildcards, no secret listing, patch/update only on named objects", () => {
        const rules = [...ofKind(objects, "ClusterRole"), ...ofKind(objects, "Role")].flatMap((r) => (r["rules"] as Obj[]).map((rule) => ({ role: `${r["kind"]}/${r["metadata"].name}`, rule })));
        // Only the cert-manager overlay (no bootstrap Job, no caBundle patching) needs no rights at all.
        assert.ok(rules.length > 0 || ofKind(objects, "Job").length === 0, "an overlay that bootstraps certificates grants their rights");
        for (const { role, rule } of rules) {
          for (const field of ["verbs", "resources", "apiGroups", "resourceNames"]) assert.ok(!(rule[field] ?? []).includes("*"), `${role} has a wildcard in ${field}`);
          const writes = (rule["verbs"] as string[]).filter((v) => ["patch", "update", "delete"].includes(v));
          if (writes.length > 0) assert.ok(rule["resourceNames"]?.length > 0, `${role} may ${writes.join("/")} ${rule["resources"].join(",")} without resourceNames`);
          if ((rule["resources"] as string[]).includes("secrets")) {
            assert.equal(role.startsWith("Role/"), true, "secrets only through a namespaced Role");
            assert.ok(!(rule["verbs"] as string[]).some((v) => ["list", "watch"].includes(v)), `${role} lists secrets`);
          }
          const webhookConfigs = (rule["resources"] as string[]).filter((r) => r.endsWith("webhookconfigurations"));
          if (webhookConfigs.length > 0) assert.deepEqual(rule["resourceNames"], ["podgate"], `${role} reaches webhook configurations other than podgate's`);
        }
        const bindings = [...ofKind(objects, "ClusterRoleBinding"), ...ofKind(objects, "RoleBinding")];
        for (const b of bindings) assert.deepEqual(b["subjects"], [{ kind: "ServiceAccount", name: "podgate", namespace: NAMESPACE }]);
      });

      it("enforces the restricted Pod Security Standard on podgate's namespace", () => {
        const ns = ofKind(objects, "Namespace").find((n) => n["metadata"].name === NAMESPACE)!;
        assert.equal(ns["metadata"].labels["pod-security.kubernetes.io/enforce"], "restricted");
        for (const o of objects.filter((o) => o["metadata"].namespace !== undefined)) assert.equal(o["metadata"].namespace, NAMESPACE, `${o["kind"]}/${o["metadata"].name}`);
      });
    });
  }

  it("wires cert-manager in its overlay: CA injection annotations, files mode, no bootstrap Job or Secret rights", () => {
    const objects = render("overlays/production-cert-manager");
    for (const kind of ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]) {
      assert.equal(ofKind(objects, kind)[0]!["metadata"].annotations["cert-manager.io/inject-ca-from"], "podgate/podgate-serving");
    }
    assert.ok(ofKind(objects, "Deployment")[0]!["spec"].template.spec.containers[0].args.includes("--certificates=files"));
    assert.equal(ofKind(objects, "Job").length, 0);
    assert.equal(ofKind(objects, "Role").length, 0);
    const serving = ofKind(objects, "Certificate").find((c) => c["metadata"].name === "podgate-serving")!;
    assert.equal(serving["spec"].secretName, "podgate-tls");
    assert.deepEqual(serving["spec"].dnsNames, ["podgate", "podgate.podgate", "podgate.podgate.svc", "podgate.podgate.svc.cluster.local"]);
  });

  it("points every KubeSchedulerConfiguration at podgate over HTTPS with a CA, never insecure", () => {
    const files = readdirSync(`${ROOT}manifests/scheduler`).filter((f) => f.endsWith(".yaml"));
    assert.ok(files.length >= 2);
    for (const file of files) {
      const config = parse(readFileSync(`${ROOT}manifests/scheduler/${file}`, "utf8")) as Obj;
      assert.equal(config["apiVersion"], "kubescheduler.config.k8s.io/v1", file);
      assert.equal(config["kind"], "KubeSchedulerConfiguration");
      for (const extender of config["extenders"] as Obj[]) {
        assert.match(extender["urlPrefix"], /^https:\/\/.+\/extender$/, file);
        assert.equal(extender["enableHTTPS"], true, file);
        assert.ok(extender["tlsConfig"]?.caFile || extender["tlsConfig"]?.caData, `${file}: a CA`);
        assert.notEqual(extender["tlsConfig"]?.insecure, true);
        if (extender["prioritizeVerb"]) assert.ok(extender["weight"] > 0, `${file}: weight`);
      }
    }
  });
});

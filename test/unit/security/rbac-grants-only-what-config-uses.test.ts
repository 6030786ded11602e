// Least privilege, checked against the features each rendered overlay turns
// on: every (apiGroup, resource, verb) podgate's ServiceAccount is granted
// must be needed by its config — certificates in Secret mode, the extender's
// node cache, pod watch or bind — and nothing more.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";

const ROOT = new URL("../../../", import.meta.url).pathname;
const OVERLAYS = ["base", "overlays/kind", "overlays/production", "overlays/production-cert-manager"];
type Obj = Record<string, any>;

/** "group/resource verb" for each right a rule grants. */
const rights = (rule: Obj): string[] =>
  (rule["apiGroups"] as string[]).flatMap((g) => (rule["resources"] as string[]).flatMap((r) => (rule["verbs"] as string[]).map((v) => `${g}/${r} ${v}`)));

/** The rights the config's features use, with the reason. */
function neededRights(config: Obj, certificatesMode: string): Map<string, string> {
  const needed = new Map<string, string>();
  const need = (why: string, ...list: string[]) => list.forEach((r) => needed.set(r, why));
  if (certificatesMode === "secret") {
    need("certificates in a Secret", "/secrets get", "/secrets update", "/secrets create", "coordination.k8s.io/leases get", "coordination.k8s.io/leases update", "coordination.k8s.io/leases create");
    need("the replica probe before a rotated-out CA leaves the bundle", "/pods list");
    need("caBundle patching", "admissionregistration.k8s.io/mutatingwebhookconfigurations get", "admissionregistration.k8s.io/mutatingwebhookconfigurations patch", "admissionregistration.k8s.io/validatingwebhookconfigurations get", "admissionregistration.k8s.io/validatingwebhookconfigurations patch");
  }
  if (config["namespaces"]?.watch === true) need("namespaces.watch", "/namespaces list", "/namespaces watch");
  const extender = (config["extender"] ?? {}) as Obj;
  if (extender["enabled"] !== false) {
    if (extender["nodeCacheCapable"] === true) need("extender node cache", "/nodes list", "/nodes watch", "/pods list", "/pods watch");
    if (extender["watchPods"] === true) need("extender watchPods", "/pods list", "/pods watch");
    if (extender["bind"]?.enabled === true) need("extender bind", "/pods get", "/pods/binding create");
  }
  return needed;
}

describe("RBAC grants only what the configured features use", () => {
  for (const overlay of OVERLAYS) {
    it(overlay, () => {
      const objects = parseAllDocuments(execFileSync("kubectl", ["kustomize", `${ROOT}manifests/${overlay}`], { encoding: "utf8" })).map((d) => d.toJS() as Obj).filter(Boolean);
      const configMap = objects.find((o) => o["kind"] === "ConfigMap" && o["metadata"].name.startsWith("podgate-config"))!;
      const config = parse(configMap["data"]["config.yaml"] as string) as Obj;
      const args = objects.filter((o) => o["kind"] === "Deployment").flatMap((d) => d["spec"].template.spec.containers[0].args as string[]);
      const mode = args.find((a) => a.startsWith("--certificates="))?.split("=")[1] ?? config["certificates"]?.mode ?? "local";
      const needed = neededRights(config, mode);
      const granted = objects.filter((o) => o["kind"] === "Role" || o["kind"] === "ClusterRole").flatMap((r) => (r["rules"] as Obj[]).flatMap(rights));
      const excess = granted.filter((r) => !needed.has(r));
      assert.deepEqual(excess, [], `granted but unused by the config (certificates ${mode}, extender ${JSON.stringify(config["extender"])})`);
    });
  }
  it("would flag a right no feature uses (the check can fail)", () => {
    assert.equal(neededRights({ extender: { nodeCacheCapable: false } }, "files").has("/nodes list"), false);
    assert.equal(neededRights({ extender: { nodeCacheCapable: true } }, "files").has("/nodes list"), true);
  });
});

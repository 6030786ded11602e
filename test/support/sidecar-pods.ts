// Seeded random pods for the sidecar's differential tests (the exported
// MutatingAdmissionPolicy against the webhook): unit, and e2e on the real apiserver.
export { random } from "./random.ts";

/**
 * A pod for the sidecar's injection rules: inject, templates and native annotations and labels
 * (some invalid), an existing status, value overrides, clashing containers, env vars, mounts,
 * volumes and pull secrets, generateName, a service account, hostNetwork. `e2e`: pods the
 * apiserver admits as they are (no service account token, no host network).
 */
export function randomSidecarPod(r: () => number, e2e = false): Record<string, any> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const maybe = (p: number) => r() < p;
  const annotations: Record<string, string> = {};
  const labels: Record<string, string> = {};
  if (maybe(0.75)) annotations["sidecar.podgate.io/inject"] = pick(["true", "true", "false", "yes"]);
  if (maybe(0.2)) labels["sidecar.podgate.io/inject"] = pick(["true", "false"]);
  if (maybe(0.4)) annotations["sidecar.podgate.io/templates"] = pick(["proxy", "log-shipper", " proxy ,proxy", "proxy,log-shipper", "nope", ""]);
  if (maybe(0.2)) annotations["sidecar.podgate.io/native"] = pick(["true", "false", "maybe"]);
  if (maybe(0.05)) annotations["sidecar.podgate.io/status"] = "{}";
  if (maybe(0.08)) annotations["sidecar.podgate.io/cpu"] = "100m";
  if (maybe(0.4)) annotations["owner"] = pick(["team-a", "team-b"]);
  if (maybe(0.5)) labels["app"] = pick(["web", "api"]);
  const names = pick([["app"], ["app", "worker"], ["log-shipper"], ["app", "proxy"]]);
  const containers = names.map((name) => ({
    name,
    image: `registry.local/${name}:1`,
    ...(maybe(0.3) ? { env: pick([[{ name: "LOG_DIR", value: "mine" }], [{ name: "OTHER", value: "1" }]]) } : {}),
    ...(maybe(0.3) ? { volumeMounts: [pick([{ name: "logs", mountPath: "/data" }, { name: "data", mountPath: "/var/log/app" }, { name: "data", mountPath: "/data" }])] } : {}),
  }));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...(maybe(0.8) ? { name: "web-1" } : { generateName: "web-" }), namespace: "shop", ...(Object.keys(labels).length ? { labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      ...(e2e ? { automountServiceAccountToken: false } : maybe(0.2) ? { serviceAccountName: "builder" } : {}),
      ...(!e2e && maybe(0.05) ? { hostNetwork: true } : {}),
      ...(maybe(0.3) ? { initContainers: [{ name: "setup", image: "registry.local/setup:1" }] } : {}),
      containers,
      ...(maybe(0.4) ? { volumes: [{ name: pick(["data", "logs"]), emptyDir: {} }] } : {}),
      ...(maybe(0.2) ? { imagePullSecrets: [{ name: pick(["registry", "other"]) }] } : {}),
    },
  };
}


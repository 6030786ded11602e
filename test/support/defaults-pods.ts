// Seeded random pods for the defaults' differential tests (the exported
// MutatingAdmissionPolicy against the webhook): requests and limits set or
// not (some above the default limit, some unreadable), pull policies, the
// securityContext fields the baseline reads (privileged, SYS_ADMIN, root,
// Windows), labels and annotations already there, per-pod switches.

export function randomDefaultsPod(r: () => number, e2e = false): Record<string, any> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const maybe = (p: number) => r() < p;
  const quantities = { cpu: ["50m", "100m", "2", ...(e2e ? [] : ["lots"])], memory: ["64Mi", "1Gi", "2Gi"] };
  const resources = () => {
    const part = () => Object.fromEntries((["cpu", "memory"] as const).filter(() => maybe(0.4)).map((n) => [n, pick(quantities[n])]));
    const requests = part();
    const limits = part();
    // The apiserver refuses a request above its limit; keep those to the offline test.
    if (e2e) for (const n of Object.keys(requests)) if (n in limits) limits[n] = requests[n]!;
    return { ...(Object.keys(requests).length ? { requests } : {}), ...(Object.keys(limits).length ? { limits } : {}) };
  };
  const securityContext = () =>
    maybe(0.5)
      ? {
          // e2e: the harness's validating policy (where podgate is called) refuses privileged pods.
          ...(maybe(0.2) ? { privileged: e2e ? false : pick([true, false]) } : {}),
          ...(maybe(0.3) ? { allowPrivilegeEscalation: pick([true, false]) } : {}),
          ...(maybe(0.3) ? { capabilities: { ...(maybe(0.5) ? { add: [pick(["NET_ADMIN", "SYS_ADMIN"])] } : {}), ...(maybe(0.5) ? { drop: ["NET_RAW"] } : {}) } } : {}),
          ...(maybe(0.2) ? { runAsUser: pick([0, 1000]) } : {}),
        }
      : undefined;
  const container = (name: string) => {
    const res = maybe(0.7) ? resources() : {};
    const sc = securityContext();
    return { name, image: `registry.local/${name}:1`, ...(Object.keys(res).length ? { resources: res } : {}), ...(maybe(0.3) ? { imagePullPolicy: pick(["Always", "Never"]) } : {}), ...(sc ? { securityContext: sc } : {}) };
  };
  const annotations: Record<string, string> = {};
  for (const feature of ["resources", "imagePullPolicy", "securityContext", "labels", "annotations"]) if (maybe(0.08)) annotations[`defaults.podgate.io/${feature}`] = pick(["false", "true", "nah"]);
  if (maybe(0.3)) annotations["team"] = pick(["a", "b"]);
  const labels = maybe(0.4) ? { tier: pick(["web", "db"]) } : undefined;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", ...(labels ? { labels } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      ...(e2e ? { automountServiceAccountToken: false } : {}),
      ...(!e2e && maybe(0.05) ? { os: { name: "windows" } } : {}),
      ...(maybe(0.3) ? { securityContext: { ...(maybe(0.5) ? { runAsUser: pick([0, 1000]) } : {}), ...(maybe(0.3) ? { runAsNonRoot: false } : {}), ...(maybe(0.3) ? { seccompProfile: { type: "Unconfined" } } : {}) } } : {}),
      ...(maybe(0.3) ? { initContainers: [container("init")] } : {}),
      containers: pick([["app"], ["app", "worker"]]).map(container),
    },
  };
}

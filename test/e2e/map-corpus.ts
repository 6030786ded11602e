// The mutating policies and seeded random pods of the MutatingAdmissionPolicy
// differential (map.test.ts): one policy per template, each selecting the pods
// labelled with its index, covering both patch types, list merges by key and
// as sets, atomic fields refused, unknown fields, type-name mismatches, JSON
// Patch's failed tests, missing paths, negative indices, copies, variables
// read between mutations, matchConditions, failurePolicy Ignore and
// reinvocation of a non-idempotent policy.

import { random } from "../support/random.ts";

export const TEMPLATE_LABEL = "e2e.podgate.dev/map-template";

interface Template {
  readonly mutations: readonly { patchType: "ApplyConfiguration" | "JSONPatch"; expression: string }[];
  readonly variables?: readonly { name: string; expression: string }[];
  readonly matchConditions?: readonly { name: string; expression: string }[];
  readonly failurePolicy?: "Fail" | "Ignore";
  readonly reinvocationPolicy?: "Never" | "IfNeeded";
}

const ac = (expression: string) => ({ patchType: "ApplyConfiguration" as const, expression });
const jp = (expression: string) => ({ patchType: "JSONPatch" as const, expression });
const RESOURCES = `resources: Object.spec.containers.resources{requests: {"cpu": "5m", "memory": "8Mi"}, limits: {"memory": "16Mi"}}`;

export const TEMPLATES: readonly Template[] = [
  { mutations: [ac(`Object{metadata: Object.metadata{labels: {"mutated": "yes"}}}`)] },
  { variables: [{ name: "n", expression: "string(size(object.spec.containers))" }], mutations: [ac(`Object{metadata: Object.metadata{annotations: {"containers": variables.n}}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{containers: [Object.spec.containers{name: "sidecar", image: "registry.local/sidecar:1.0", ${RESOURCES}}]}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{containers: object.spec.containers.map(c, Object.spec.containers{name: c.name, imagePullPolicy: "IfNotPresent"})}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{containers: object.spec.containers.map(c, Object.spec.containers{name: c.name, env: [Object.spec.containers.env{name: "INJECTED", value: c.name}]})}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{containers: [Object.spec.containers{name: object.spec.containers[0].name, ports: [Object.spec.containers.ports{containerPort: 8080, name: "http"}, Object.spec.containers.ports{containerPort: 9090, protocol: "UDP"}]}]}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{nodeSelector: {"disk": "ssd"}}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{tolerations: [Object.spec.tolerations{key: "dedicated", operator: "Exists"}]}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{securityContext: Object.spec.securityContext{runAsNonRoot: true, fsGroup: 2000}}}`)] },
  { failurePolicy: "Ignore", mutations: [ac(`Object{spec: Object.spec{notAField: "x"}}`), ac(`Object{metadata: Object.metadata{labels: {"after-ignored": "yes"}}}`)] },
  { mutations: [ac(`Object{spec: Object.spec.containers{}}`)] },
  { mutations: [jp(`[JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("example.com/team"), value: "platform"}]`)] },
  { mutations: [jp(`[JSONPatch{op: "add", path: "/spec/containers/-", value: Object.spec.containers{name: "added", image: "registry.local/added:1.0", ${RESOURCES}}}]`)] },
  { mutations: [jp(`[JSONPatch{op: "test", path: "/spec/containers/0/name", value: "c0"}, JSONPatch{op: "replace", path: "/spec/containers/0/image", value: "registry.local/replaced:2.0"}]`)] },
  { mutations: [jp(`[JSONPatch{op: "remove", path: "/metadata/annotations/note"}]`)] },
  { failurePolicy: "Ignore", reinvocationPolicy: "IfNeeded", mutations: [jp(`[JSONPatch{op: "add", path: "/spec/containers/0/env/-", value: {"name": "APPENDED", "value": "1"}}]`)] },
  { matchConditions: [{ name: "several", expression: "size(object.spec.containers) > 1" }], mutations: [ac(`Object{metadata: Object.metadata{labels: {"several": "true"}}}`)] },
  {
    variables: [{ name: "labels", expression: "string(size(object.metadata.labels))" }],
    mutations: [ac(`Object{metadata: Object.metadata{labels: {"step": "1"}}}`), jp(`[JSONPatch{op: "add", path: "/metadata/labels/seen", value: variables.labels}]`)],
  },
  { mutations: [ac(`Object{spec: Object.spec{containers: object.spec.containers.map(c, Object.spec.containers{name: c.name, resources: Object.spec.containers.resources{limits: {"cpu": "1"}}})}}`)] },
  { mutations: [ac(`Object{spec: Object.spec{initContainers: [Object.spec.initContainers{name: "proxy", image: "registry.local/proxy:1.0", restartPolicy: "Always", resources: Object.spec.initContainers.resources{requests: {"cpu": "5m", "memory": "8Mi"}, limits: {"memory": "16Mi"}}}]}}`)] },
  { mutations: [jp(`[JSONPatch{op: "copy", from: "/metadata/labels/app", path: "/metadata/annotations/app"}]`)] },
  { mutations: [jp(`[JSONPatch{op: "replace", path: "/spec/containers/-1/image", value: "registry.local/last:1.0"}]`)] },
  {
    mutations: [
      ac(
        `Object{spec: Object.spec{volumes: [Object.spec.volumes{name: "cache", emptyDir: Object.spec.volumes.emptyDir{}}], containers: object.spec.containers.map(c, Object.spec.containers{name: c.name, volumeMounts: [Object.spec.containers.volumeMounts{name: "cache", mountPath: "/cache"}]})}}`,
      ),
    ],
  },
  { reinvocationPolicy: "IfNeeded", mutations: [ac(`Object{metadata: Object.metadata{labels: {"idempotent": "yes"}}}`)] },
  { reinvocationPolicy: "IfNeeded", mutations: [jp(`[JSONPatch{op: "add", path: "/metadata/labels/count", value: "count" in object.metadata.labels ? string(int(object.metadata.labels["count"]) + 1) : "1"}]`)] },
  { mutations: [jp(`[JSONPatch{op: "move", from: "/metadata/labels/tier", path: "/metadata/labels/moved-tier"}]`)] },
];

/** Template `index` as a MutatingPolicy document, in force in namespaces labelled `mode`. */
export function mutatingPolicyFor(index: number, modeLabel: string, mode: string): Record<string, unknown> {
  const t = TEMPLATES[index]!;
  return {
    apiVersion: "podgate.dev/v1alpha1",
    kind: "MutatingPolicy",
    metadata: { name: `map-e2e-${index}` },
    spec: {
      failurePolicy: t.failurePolicy ?? "Fail",
      reinvocationPolicy: t.reinvocationPolicy ?? "Never",
      matchConstraints: {
        resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], operations: ["CREATE"] }],
        namespaceSelector: { matchLabels: { [modeLabel]: mode } },
        objectSelector: { matchLabels: { [TEMPLATE_LABEL]: String(index) } },
      },
      ...(t.matchConditions ? { matchConditions: t.matchConditions } : {}),
      ...(t.variables ? { variables: t.variables } : {}),
      mutations: t.mutations.map((m) => (m.patchType === "JSONPatch" ? { patchType: m.patchType, jsonPatch: { expression: m.expression } } : { patchType: m.patchType, applyConfiguration: { expression: m.expression } })),
    },
  };
}

/**
 * Random pods, each with resources on every container (so the harness's
 * defaults webhook leaves them alone) and no service account token (so the
 * apiserver's ServiceAccount plugin, run again after mutations, adds nothing).
 */
export function randomPods(seed: number, count: number): Record<string, any>[] {
  const r = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
  const maybe = (p: number) => r() < p;
  const resources = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } };
  return Array.from({ length: count }, (_, i) => {
    const template = i % TEMPLATES.length;
    const names = pick([["c0"], ["app"], ["c0", "c1"], ["app", "c0", "c1"]]);
    const containers = names.map((name) => ({
      name,
      image: `registry.local/${name}:1.${Math.floor(r() * 5)}`,
      ...(maybe(0.6) ? { ports: pick([[{ containerPort: 8080 }], [{ containerPort: 8080, protocol: "TCP", name: "web" }], [{ containerPort: 9090, protocol: "UDP" }, { containerPort: 8080 }]]) } : {}),
      ...(maybe(0.5) ? { env: pick([[{ name: "A", value: "1" }], [{ name: "INJECTED", value: "old" }, { name: "B", value: "2" }]]) } : {}),
      ...(maybe(0.3) ? { volumeMounts: [{ name: "v0", mountPath: pick(["/data", "/cache"]) }] } : {}),
      resources,
    }));
    const mounts = containers.some((c) => "volumeMounts" in c);
    const labels: Record<string, string> = { [TEMPLATE_LABEL]: String(template) };
    if (maybe(0.5)) labels["app"] = pick(["web", "api"]);
    if (maybe(0.4)) labels["tier"] = pick(["front", "back"]);
    if (maybe(0.3)) labels["count"] = pick(["1", "7"]);
    const annotations = maybe(0.5) ? { ...(maybe(0.5) ? { note: "hello" } : {}), ...(maybe(0.5) ? { other: "x" } : {}) } : undefined;
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: `case-${i}`, labels, ...(annotations ? { annotations } : {}) },
      spec: {
        automountServiceAccountToken: false,
        containers,
        ...(maybe(0.2) ? { initContainers: [{ name: "init", image: "registry.local/init:1.0", resources }] } : {}),
        ...(mounts || maybe(0.2) ? { volumes: [{ name: "v0", emptyDir: {} }] } : {}),
        ...(maybe(0.2) ? { nodeSelector: { zone: "a" } } : {}),
        ...(maybe(0.2) ? { securityContext: { runAsUser: 1000 } } : {}),
      },
    };
  });
}

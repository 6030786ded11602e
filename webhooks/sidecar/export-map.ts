// A sidecar template as a native MutatingAdmissionPolicy (Kubernetes 1.36):
// the cluster injects with no webhook at all, adding what the webhook adds, in
// the same places, with the same status annotation. The template is rendered
// with its values' defaults; pod placeholders become CEL. It is a JSON Patch,
// not an ApplyConfiguration: the apiserver refuses to apply atomic lists, and
// a container's args and command are atomic.
//
// Not expressible natively, so those pods are left alone by the policy (its
// matchConditions exclude them) and still need the webhook:
// - per-pod value overrides (sidecar.podgate.io/<value> annotations): their
//   type and bound checks and their rendering are the webhook's;
// - pods naming several templates: the webhook injects them in one pass, with
//   one status annotation.
// A pod whose own text makes the rendered template invalid (a label value in a
// field with a format) is refused by the apiserver's validation rather than
// skipped with a warning.
import { resolve as typeOf, type TypeRef } from "../../src/kube/apply-schema.ts";
import { POD_NAMESPACE_VARIABLE, podMutationObjects } from "../policy/export-map.ts";
import { DOMAIN, INJECT, NATIVE, STATUS, TEMPLATES, valueAnnotations } from "./annotations.ts";
import type { PodFacts } from "./render.ts";
import type { SidecarSettings } from "./settings.ts";
import { defaultValues, renderTemplate, type Rendered, type Template } from "./template.ts";

const CONTAINER = "io.k8s.api.core.v1.Container";
const VOLUME = "io.k8s.api.core.v1.Volume";
const ENV = "io.k8s.api.core.v1.EnvVar";
const MOUNT = "io.k8s.api.core.v1.VolumeMount";
const SECRET_REF = "io.k8s.api.core.v1.LocalObjectReference";

// Pod placeholders render to markers, which become CEL below.
const MARK = "\u0000";
const marker = (cel: string) => `${MARK}${cel}${MARK}`;
const POD_FACTS: PodFacts = {
  name: marker("variables.podName"),
  namespace: marker("variables.podNamespace"),
  serviceAccount: marker("variables.serviceAccount"),
  labels: new Proxy({}, { get: (_, key) => marker(`object.metadata.?labels[${JSON.stringify(String(key))}].orValue("")`) }),
  annotations: new Proxy({}, { get: (_, key) => marker(`object.metadata.?annotations[${JSON.stringify(String(key))}].orValue("")`) }),
};

const VARIABLES = [
  { name: "podName", expression: `has(object.metadata.name) ? object.metadata.name : object.metadata.?generateName.orValue("").endsWith("-") ? object.metadata.generateName.substring(0, size(object.metadata.generateName) - 1) : object.metadata.?generateName.orValue("")` },
  POD_NAMESPACE_VARIABLE,
  { name: "serviceAccount", expression: `object.spec.?serviceAccountName.orValue("default")` },
];

/** A string, with its pod markers, as a CEL string expression. */
function celString(text: string): string {
  const parts = text.split(MARK);
  if (parts.length === 1) return JSON.stringify(text);
  return parts.map((part, i) => (i % 2 === 1 ? part : part === "" ? undefined : JSON.stringify(part))).filter((p) => p !== undefined).join(" + ") || '""';
}

/** A JSON value as a CEL literal: structs (by the Kubernetes schema) as `Object.<path>{...}`, maps as map literals. */
function celValue(value: unknown, ref: TypeRef, typeName: string): string {
  if (typeof value === "string") return celString(value);
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : String(value);
  if (typeof value === "boolean" || value === null) return String(value);
  const atom = typeOf(ref);
  if (Array.isArray(value)) return `[${value.map((item) => celValue(item, atom.list?.of ?? ref, typeName)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (atom.map?.fields) return `${typeName}{${entries.map(([k, v]) => `${k}: ${celValue(v, atom.map!.fields![k] ?? atom.map!.of!, `${typeName}.${k}`)}`).join(", ")}}`;
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${celValue(v, atom.map?.of ?? ref, typeName)}`).join(", ")}}`;
}

const list = (items: readonly string[]) => `[${items.join(", ")}]`;
const add = (path: string, value: string) => `JSONPatch{op: "add", path: ${path}, value: ${value}}`;
const q = (s: string) => JSON.stringify(s);
/** The JSON text of a list of names, built in CEL from a CEL list of strings. */
const jsonNames = (names: string) => `"[" + (${names}).map(n, "\\"" + n + "\\"").join(",") + "]"`;

/**
 * Items added to a list only where nothing there clashes (the webhook's addMissing): one CEL list of
 * the items to add, from per-item conditions on `existing` (a CEL list expression).
 */
function missing(items: readonly { literal: string; clash: (x: string) => string }[], existing: string): string {
  if (items.length === 0) return "[]";
  return items.map((item) => `(${clashes(existing, item.clash)} ? [] : [${item.literal}])`).join(" + ");
}

/**
 * Whether the optional list field `existing` (e.g. c.env) has an item `clash` holds for. Written with has()
 * rather than `.?env.orValue([])`, so cost estimates see the list as the element's own, not a new one.
 */
const clashes = (existing: string, clash: (x: string) => string) => `(has(${existing}) && ${existing}.exists(x, ${clash("x")}))`;

/**
 * Patches that add `items` (a CEL list) at the end of the list at `path`, made first (empty) when absent.
 * Item by item: kube-apiserver 1.36 fails a request whose JSONPatch value is a list of Object{} (patch-types.ts).
 */
function appendAll(listHas: string, path: string, items: string): string {
  return `(${listHas} || size(${items}) == 0 ? [] : [${add(path, "[]")}]) + (${items}).map(item, ${add(`${path} + "/-"`, "item")})`;
}

/** Patches that insert `items` at the front of the list at `path`, in order, made first (empty) when absent. */
function prependAll(listHas: string, path: string, items: string): string {
  return `(${listHas} || size(${items}) == 0 ? [] : [${add(path, "[]")}]) + (${items}).transformList(k, item, ${add(`${path} + "/" + string(k)`, "item")})`;
}

export interface SidecarMapResult {
  readonly objects: Record<string, unknown>[];
  /** What the policy leaves to the webhook, for people. */
  readonly notes: readonly string[];
}

/** The MutatingAdmissionPolicy + Binding that inject template `name` of a sidecar webhook entry. */
export function sidecarMap(entryName: string, settings: SidecarSettings, name: string): SidecarMapResult {
  const template: Template = settings.templates[name]!;
  const rendered = renderTemplate(template, { pod: POD_FACTS, values: defaultValues(template) });
  if (!rendered.ok) throw new Error(`template ${name}: a pod placeholder sits where the Kubernetes schema wants a number or boolean (${rendered.issues[0]!.path.join(".")}), which a native policy cannot fill`);
  const r: Rendered = rendered.rendered;
  const native = `variables.native`;
  const hold = template.holdApplicationUntilStarted;
  const sidecarNames = r.containers.map((c) => c.name);
  const setupNames = r.initContainers.map((c) => c.name);
  const asInit = (c: object) => celValue(c, CONTAINER, "Object.spec.initContainers");
  const sidecarsAsInit = list(r.containers.map((c) => asInit({ ...c, restartPolicy: "Always" })));
  const sidecarsAsApp = list(r.containers.map((c) => celValue(c, CONTAINER, "Object.spec.containers")));
  const setup = list(r.initContainers.map(asInit));
  const initFirst = `${setup} + (${native} && ${hold} ? ${sidecarsAsInit} : [])`;
  const initLast = `(${native} && ${!hold} ? ${sidecarsAsInit} : [])`;
  const appFirst = `(!${native} && ${hold} ? ${sidecarsAsApp} : [])`;
  const appLast = `(!${native} && ${!hold} ? ${sidecarsAsApp} : [])`;

  // Per app container c at index i: the env vars and mounts it lacks.
  const env = (c: string) => missing(r.env.map((e) => ({ literal: celValue(e, ENV, "Object.spec.containers.env"), clash: (x) => `${x}.name == ${q(e.name)}` })), `${c}.env`);
  const mounts = (c: string) => missing(r.volumeMounts.map((m) => ({ literal: celValue(m, MOUNT, "Object.spec.containers.volumeMounts"), clash: (x) => `${x}.name == ${q(m.name)} || ${x}.mountPath == ${q(m.mountPath)}` })), `${c}.volumeMounts`);
  // The names of what is added, for the status: the same conditions, item by item.
  const names = (items: readonly { name: string }[], existing: string, clash: (item: { name: string }, x: string) => string) =>
    items.length === 0 ? "[]" : items.map((item) => `(${clashes(existing, (x) => clash(item, x))} ? [] : [${q(item.name)}])`).join(" + ");
  const envNames = (c: string) => names(r.env, `${c}.env`, (e, x) => `${x}.name == ${q(e.name)}`);
  const mountNames = (c: string) => names(r.volumeMounts, `${c}.volumeMounts`, (m, x) => `${x}.name == ${q(m.name)} || ${x}.mountPath == ${q((m as Rendered["volumeMounts"][number]).mountPath)}`);
  const volumes = missing(r.volumes.map((v) => ({ literal: celValue(v, VOLUME, "Object.spec.volumes"), clash: (x) => `${x}.name == ${q(v.name)}` })), "object.spec.volumes");
  const volumeNames = names(r.volumes, "object.spec.volumes", (v, x) => `${x}.name == ${q(v.name)}`);
  const secrets = missing(r.imagePullSecrets.map((s) => ({ literal: celValue(s, SECRET_REF, "Object.spec.imagePullSecrets"), clash: (x) => `${x}.name == ${q(s.name)}` })), "object.spec.imagePullSecrets");
  const secretNames = names(r.imagePullSecrets, "object.spec.imagePullSecrets", (s, x) => `${x}.name == ${q(s.name)}`);
  const perApp = (addedTo: (c: string) => string) =>
    `"{" + object.spec.containers.filter(c, size(${addedTo("c")}) > 0).map(c, "\\"" + c.name + "\\":" + ${jsonNames(addedTo("c"))}).join(",") + "}"`;
  // The webhook's status record (status.ts), key for key: what this injection added.
  const status = [
    `"{\\"templates\\":[\\"${name}\\"],\\"native\\":" + (${native} ? "true" : "false")`,
    `",\\"containers\\":" + (${native} ? "[]" : ${q(JSON.stringify(sidecarNames))})`,
    `",\\"initContainers\\":" + (${native} ? ${q(JSON.stringify([...setupNames, ...sidecarNames]))} : ${q(JSON.stringify(setupNames))})`,
    `",\\"volumes\\":" + ${jsonNames(volumeNames)}`,
    `",\\"imagePullSecrets\\":" + ${jsonNames(secretNames)}`,
    `",\\"env\\":" + ${perApp(envNames)}`,
    `",\\"volumeMounts\\":" + ${perApp(mountNames)} + "}"`,
  ].join(" + ");
  const statusKey = STATUS.replaceAll("~", "~0").replaceAll("/", "~1");
  // Env and mounts first, while the app containers are at their original indices; then the containers.
  const patch = [
    `object.spec.containers.transformList(i, c, ${appendAll("has(c.env)", `"/spec/containers/" + string(i) + "/env"`, env("c"))} + ${appendAll("has(c.volumeMounts)", `"/spec/containers/" + string(i) + "/volumeMounts"`, mounts("c"))}).flatten()`,
    prependAll("has(object.spec.initContainers)", `"/spec/initContainers"`, initFirst),
    appendAll("has(object.spec.initContainers) || size(" + initFirst + ") > 0", `"/spec/initContainers"`, initLast),
    prependAll("true", `"/spec/containers"`, appFirst),
    appendAll("true", `"/spec/containers"`, appLast),
    appendAll("has(object.spec.volumes)", `"/spec/volumes"`, volumes),
    appendAll("has(object.spec.imagePullSecrets)", `"/spec/imagePullSecrets"`, secrets),
    `(has(object.metadata.annotations) ? [${add(`"/metadata/annotations/${statusKey}"`, status)}] : [${add(`"/metadata/annotations"`, `{${q(STATUS)}: ${status}}`)}])`,
  ].join(" +\n");

  const annotation = (key: string) => `object.metadata.?annotations[${q(key)}]`;
  const overrides = Object.keys(template.values).flatMap((value) => valueAnnotations(name, value));
  const containerNames = list([...sidecarNames, ...setupNames].map(q));
  const matchConditions = [
    { name: "not-injected", expression: `!has(object.metadata.annotations) || !(${q(STATUS)} in object.metadata.annotations)` },
    { name: "not-host-network", expression: "!object.spec.?hostNetwork.orValue(false)" },
    { name: "requested", expression: `object.metadata.?labels[${q(INJECT)}].orValue(${annotation(INJECT)}.orValue(${q(String(settings.injectByDefault))})) == "true"` },
    { name: "this-template-only", expression: `${annotation(TEMPLATES)}.orValue(${q(settings.defaultTemplate)}).split(",").map(n, n.trim()).filter(n, n != "").all(n, n == ${q(name)}) && ${annotation(TEMPLATES)}.orValue(${q(settings.defaultTemplate)}).split(",").exists(n, n.trim() == ${q(name)})` },
    { name: "native-readable", expression: `${annotation(NATIVE)}.orValue("true") in ["true", "false"]` },
    { name: "no-container-clash", expression: `!object.spec.containers.exists(c, c.name in ${containerNames}) && !object.spec.?initContainers.orValue([]).exists(c, c.name in ${containerNames})` },
    ...(overrides.length > 0 ? [{ name: "no-value-overrides", expression: `!has(object.metadata.annotations) || !${list(overrides.map(q))}.exists(k, k in object.metadata.annotations)` }] : []),
  ];
  const nativeDefault = String(template.native ?? settings.native);
  return {
    objects: podMutationObjects({
      name: `${entryName}-${name}`,
      labels: { [`${DOMAIN}/template`]: name },
      excludeNamespaces: settings.excludeNamespaces,
      matchConditions,
      variables: [...VARIABLES, { name: "native", expression: `${annotation(NATIVE)}.orValue(${q(nativeDefault)}) == "true"` }],
      patches: [patch],
    }),
    notes: [
      ...(overrides.length > 0 ? [`template ${name}: pods that set a value (${overrides.join(", ")}) are left to the webhook: value checks are not expressible natively`] : []),
      `template ${name}: pods naming several templates in ${TEMPLATES} are left to the webhook`,
    ],
  };
}

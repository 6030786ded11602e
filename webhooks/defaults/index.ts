// The `defaults` mutating webhook type: fills what the user left empty, never
// changes what they set. Each default can be switched off in the settings and,
// per pod, by the annotation defaults.podgate.io/<feature>: "false".
import { isDeepStrictEqual } from "node:util";
import { allow, mutate, type Decision } from "../../src/admission/handler.ts";
import type { AdmissionRequest } from "../../src/admission/review.ts";
import { defineMutatingWebhook } from "../../src/toolkit/define.ts";
import { readPodCreate, shortWarning } from "../pod-reader/request.ts";
import { namespaceOf, type Container, type Pod } from "../pod-reader/shape.ts";
import { defaultResources, resourceDefaultsFor } from "./resources.ts";
import { securityBaseline } from "./security.ts";
import { defaultsSettings, FEATURES, type DefaultsSettings, type Feature } from "./settings.ts";

export const DOMAIN = "defaults.podgate.io";
export const AUDIT_KEY = "defaulted";

/** The list with each item edited; the list itself when no edit changed anything. */
function editEach(list: readonly Container[], edit: (container: Container) => Container): Container[] {
  let out: Container[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const edited = edit(list[i]!);
    if (edited !== list[i]) (out ??= list.slice())[i] = edited;
  }
  return out ?? (list as Container[]);
}

/** The pod with every container and init container edited; the pod itself when nothing changed. */
function eachContainer(pod: Pod, edit: (container: Container) => Container): Pod {
  const containers = editEach(pod.spec.containers, edit);
  const initContainers = pod.spec.initContainers && editEach(pod.spec.initContainers, edit);
  if (containers === pod.spec.containers && initContainers === pod.spec.initContainers) return pod;
  return { ...pod, spec: { ...pod.spec, containers, ...(initContainers ? { initContainers } : {}) } };
}

function fillMap(pod: Pod, field: "labels" | "annotations", values: Readonly<Record<string, string>>): Pod {
  if (Object.keys(values).length === 0) return pod;
  return { ...pod, metadata: { ...pod.metadata, [field]: { ...values, ...pod.metadata[field] } } };
}

type Step = (pod: Pod, settings: DefaultsSettings, namespace: string, notes: string[]) => Pod;

const steps: Record<Feature, Step> = {
  resources: (pod, settings, namespace, notes) => {
    const defaults = resourceDefaultsFor(settings.resources, namespace);
    return eachContainer(pod, (container) => {
      const result = defaultResources(container, defaults);
      notes.push(...result.notes);
      return result.container;
    });
  },
  imagePullPolicy: (pod, settings) => eachContainer(pod, (c) => (c.imagePullPolicy === undefined ? { ...c, imagePullPolicy: settings.imagePullPolicy.policy } : c)),
  securityContext: (pod) => securityBaseline(pod),
  labels: (pod, settings) => fillMap(pod, "labels", settings.labels.values),
  annotations: (pod, settings) => fillMap(pod, "annotations", settings.annotations.values),
};

/** Features the pod switched off by annotation; a value other than "true"/"false" also switches off, and is reported. */
function podSwitches(pod: Pod): { off: Set<Feature>; problems: string[] } {
  const off = new Set<Feature>();
  const problems: string[] = [];
  for (const feature of FEATURES) {
    const key = `${DOMAIN}/${feature}`;
    const value = pod.metadata.annotations?.[key];
    if (value === undefined || value === "true") continue;
    off.add(feature);
    if (value !== "false") problems.push(`${key} ${JSON.stringify(value.slice(0, 40))}: expected "true" or "false"; ${feature} not defaulted`);
  }
  return { off, problems };
}

export function handleDefaults(request: AdmissionRequest, settings: DefaultsSettings): Decision {
  const read = readPodCreate(request);
  if (read.kind === "ignore") return allow();
  if (read.kind === "unreadable") return allow({ warnings: [shortWarning(`defaults not applied: ${read.message}`)], auditAnnotations: { [AUDIT_KEY]: `skipped: ${read.message}` } });
  const namespace = namespaceOf(read.pod, request.namespace);
  if (settings.excludeNamespaces.includes(namespace)) return allow();
  const { off, problems } = podSwitches(read.pod);
  const notes: string[] = [];
  const applied: Feature[] = [];
  let pod = read.pod;
  for (const feature of FEATURES) {
    if (!settings[feature].enabled || off.has(feature)) continue;
    const next = steps[feature](pod, settings, namespace, notes);
    // Steps return the pod itself when they change nothing: only a new object needs the deep look.
    if (next !== pod && !isDeepStrictEqual(next, pod)) applied.push(feature);
    pod = next;
  }
  const warnings = [...problems, ...notes].map(shortWarning);
  const auditAnnotations = {
    ...(applied.length > 0 ? { [AUDIT_KEY]: applied.join(",") } : {}),
    ...(problems.length > 0 ? { invalid: problems.join("; ") } : {}),
  };
  const extras = {
    ...(warnings.length > 0 ? { warnings } : {}),
    ...(Object.keys(auditAnnotations).length > 0 ? { auditAnnotations } : {}),
  };
  return applied.length > 0 ? mutate(pod, extras) : allow(extras);
}

export const defaultsWebhook = defineMutatingWebhook({
  type: "defaults",
  description: "Fills empty resource requests/limits, imagePullPolicy, a restricted securityContext, labels and annotations",
  settings: defaultsSettings,
  leavesInputIntact: true,
  mutate: ({ request, settings }) => handleDefaults(request, settings),
});

// Whether and what to inject into one pod: a pure decision from the pod and the
// settings. Bad annotation values are problems to report, never exceptions.
import type { Pod } from "../pod-reader/shape.ts";
import { DOMAIN, INJECT, NATIVE, STATUS, TEMPLATES, valueAnnotations } from "./annotations.ts";
import type { PodFacts } from "./render.ts";
import type { SidecarSettings } from "./settings.ts";
import { renderForPod } from "./memo.ts";
import type { Rendered, Template } from "./template.ts";
import { parseValue, type Value } from "./values.ts";

export interface Problem {
  /** The annotation (or label) at fault, e.g. sidecar.podgate.io/cpu. */
  readonly key: string;
  readonly message: string;
}

export interface Selection {
  readonly name: string;
  readonly template: Template;
  readonly native: boolean;
  readonly rendered: Rendered;
}

export type Plan =
  | { readonly inject: false; readonly reason: string; readonly problems: readonly Problem[]; /** Nothing to report: a reinvocation. */ readonly quiet?: boolean }
  | { readonly inject: true; readonly selections: readonly Selection[] };

function skip(reason: string, problems: Problem[] = []): Plan {
  return { inject: false, reason, problems };
}

function parseBoolean(key: string, text: string): boolean | Problem {
  if (text === "true") return true;
  if (text === "false") return false;
  return { key, message: `${JSON.stringify(text.slice(0, 40))}: expected "true" or "false"` };
}

export function podFacts(pod: Pod, namespace: string): PodFacts {
  const { metadata, spec } = pod;
  return {
    name: metadata.name ?? metadata.generateName?.replace(/-$/, "") ?? "",
    namespace,
    serviceAccount: spec.serviceAccountName ?? "default",
    labels: metadata.labels ?? {},
    annotations: metadata.annotations ?? {},
  };
}

/** The inject switch: the label wins over the annotation; absent means the settings' default. */
function wanted(pod: Pod, settings: SidecarSettings): boolean | Problem {
  const label = pod.metadata.labels?.[INJECT];
  const annotation = pod.metadata.annotations?.[INJECT];
  if (label !== undefined) return parseBoolean(INJECT, label);
  if (annotation !== undefined) return parseBoolean(INJECT, annotation);
  return settings.injectByDefault;
}

function templateNames(pod: Pod, settings: SidecarSettings): string[] | Problem {
  const text = pod.metadata.annotations?.[TEMPLATES];
  if (text === undefined) return [settings.defaultTemplate];
  const names = [...new Set(text.split(",").map((n) => n.trim()).filter((n) => n !== ""))];
  if (names.length === 0) return { key: TEMPLATES, message: "expected a comma-separated list of template names" };
  const unknown = names.filter((n) => !(n in settings.templates));
  if (unknown.length > 0) return { key: TEMPLATES, message: `unknown template ${unknown.map((n) => `"${n}"`).join(", ")}; known: ${Object.keys(settings.templates).join(", ")}` };
  return names;
}

/** Each declared value from its annotation (template-scoped first) or its default. */
function values(name: string, template: Template, annotations: Readonly<Record<string, string>>, problems: Problem[]): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [value, spec] of Object.entries(template.values)) {
    const key = valueAnnotations(name, value).find((k) => annotations[k] !== undefined);
    if (key === undefined) {
      out[value] = spec.default;
      continue;
    }
    const parsed = parseValue(spec, annotations[key]!);
    if (parsed.ok) out[value] = parsed.value;
    else problems.push({ key, message: `${JSON.stringify(annotations[key]!.slice(0, 40))}: ${parsed.message}` });
  }
  return out;
}

export function planInjection(pod: Pod, namespace: string, settings: SidecarSettings): Plan {
  const annotations = pod.metadata.annotations ?? {};
  if (annotations[STATUS] !== undefined) return { inject: false, reason: "already injected", problems: [], quiet: true };
  if (settings.excludeNamespaces.includes(namespace)) return skip(`namespace ${namespace} is excluded`);
  if (pod.spec.hostNetwork === true) return skip("hostNetwork pod");
  const want = wanted(pod, settings);
  if (typeof want === "object") return skip("invalid inject value", [want]);
  if (!want) return skip(pod.metadata.labels?.[INJECT] ?? annotations[INJECT] ? `${INJECT} is false` : "not requested");
  const names = templateNames(pod, settings);
  if (!Array.isArray(names)) return skip("invalid templates value", [names]);
  const podNative = annotations[NATIVE] === undefined ? undefined : parseBoolean(NATIVE, annotations[NATIVE]);
  if (typeof podNative === "object") return skip("invalid native value", [podNative]);
  const facts = podFacts(pod, namespace);
  const problems: Problem[] = [];
  const selections: Selection[] = [];
  for (const name of names) {
    const template = settings.templates[name]!;
    const chosen = values(name, template, annotations, problems);
    if (problems.length > 0) continue;
    const rendered = renderForPod(template, { pod: facts, values: chosen });
    if (!rendered.ok) {
      // Only pod-derived text can break a template that rendered at load; name the template and field.
      const first = rendered.issues[0]!;
      problems.push({ key: `template ${name}`, message: `renders invalid for this pod at ${first.path.join(".")}: ${first.message}` });
      continue;
    }
    selections.push({ name, template, native: podNative ?? template.native ?? settings.native, rendered: rendered.rendered });
  }
  if (problems.length > 0) return skip("invalid override", problems);
  return { inject: true, selections };
}

const READ_KEYS: ReadonlySet<string> = new Set([INJECT, TEMPLATES, NATIVE, STATUS]);

/**
 * Annotations (and labels) under sidecar.podgate.io that podgate does not read: a misspelt key
 * (sidecar.podgate.io/imgae, proxy.sidecar.podgate.io/cpu for an unknown template) would
 * otherwise be ignored without a word. Each gets a message saying what is read instead.
 */
export function unreadKeys(pod: Pod, settings: SidecarSettings): string[] {
  const keys = [...Object.keys(pod.metadata.annotations ?? {}), ...Object.keys(pod.metadata.labels ?? {})];
  const shared = new Set(Object.values(settings.templates).flatMap((t) => Object.keys(t.values)));
  const messages: string[] = [];
  for (const key of new Set(keys)) {
    const slash = key.indexOf("/");
    const prefix = key.slice(0, slash);
    if (slash < 0 || READ_KEYS.has(key) || !(prefix === DOMAIN || prefix.endsWith(`.${DOMAIN}`))) continue;
    const name = key.slice(slash + 1);
    if (prefix === DOMAIN) {
      if (shared.has(name)) continue;
      messages.push(`unknown key ${key}: podgate reads inject, templates, native and the templates' values (${[...shared].join(", ") || "none"})`);
      continue;
    }
    const template = prefix.slice(0, -DOMAIN.length - 1);
    const values = settings.templates[template]?.values;
    if (values === undefined) messages.push(`unknown key ${key}: no template "${template}"; known: ${Object.keys(settings.templates).join(", ")}`);
    else if (!(name in values)) messages.push(`unknown key ${key}: template ${template} has the values ${Object.keys(values).join(", ") || "(none)"}`);
  }
  return messages;
}


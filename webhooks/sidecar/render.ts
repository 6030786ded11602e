// Placeholders in template strings: {{ pod.name }}, {{ pod.namespace }},
// {{ pod.serviceAccount }}, {{ pod.labels['k'] }}, {{ pod.annotations["k"] }},
// {{ values.<name> }}. A string that is one placeholder of a number or boolean
// value becomes that number or boolean, so `containerPort: "{{ values.port }}"` works.
import type { Value } from "./values.ts";

export type Reference =
  | { kind: "pod"; field: "name" | "namespace" | "serviceAccount" }
  | { kind: "map"; field: "labels" | "annotations"; key: string }
  | { kind: "value"; name: string };

export interface PodFacts {
  /** metadata.name, or for controller-made pods the generateName without its trailing "-". */
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RenderContext {
  readonly pod: PodFacts;
  readonly values: Readonly<Record<string, Value>>;
}

const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const WHOLE = /^\{\{(.*?)\}\}$/;

/** Parses the text between {{ and }}; a string describes what is wrong. */
export function parseReference(text: string): Reference | string {
  const source = text.trim();
  const pod = /^pod\.(name|namespace|serviceAccount)$/.exec(source);
  if (pod) return { kind: "pod", field: pod[1] as "name" | "namespace" | "serviceAccount" };
  const map = /^pod\.(labels|annotations)\[(?:'([^']*)'|"([^"]*)")\]$/.exec(source);
  if (map) return { kind: "map", field: map[1] as "labels" | "annotations", key: map[2] ?? map[3] ?? "" };
  const value = /^values\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.exec(source);
  if (value) return { kind: "value", name: value[1]! };
  return `unknown reference "{{${text}}}"; expected pod.name, pod.namespace, pod.serviceAccount, pod.labels['key'], pod.annotations['key'] or values.<name>`;
}

/** Every placeholder's reference in a string, or the first malformed one's message. */
export function referencesIn(text: string): Reference[] | string {
  const references: Reference[] = [];
  for (const match of text.matchAll(PLACEHOLDER)) {
    const reference = parseReference(match[1]!);
    if (typeof reference === "string") return reference;
    references.push(reference);
  }
  // A lone "{{" without its "}}" is a typo, not literal text.
  const rest = text.replaceAll(PLACEHOLDER, "");
  if (rest.includes("{{") || rest.includes("}}")) return `unbalanced "{{" or "}}" in "${text}"`;
  return references;
}

export function resolve(reference: Reference, context: RenderContext): Value {
  switch (reference.kind) {
    case "pod":
      return context.pod[reference.field];
    case "map":
      return context.pod[reference.field][reference.key] ?? "";
    case "value":
      // References are checked against declared values at load, so a miss is podgate's bug.
      if (!(reference.name in context.values)) throw new Error(`template value "${reference.name}" is not declared`);
      return context.values[reference.name]!;
  }
}

function renderString(text: string, context: RenderContext): Value {
  const whole = WHOLE.exec(text);
  if (whole && !whole[1]!.includes("}}")) {
    const reference = parseReference(whole[1]!);
    if (typeof reference !== "string") return resolve(reference, context);
  }
  return text.replaceAll(PLACEHOLDER, (_, inner: string) => {
    const reference = parseReference(inner);
    return typeof reference === "string" ? _ : String(resolve(reference, context));
  });
}

/** A deep copy of a JSON value with every placeholder replaced. */
export function render(value: unknown, context: RenderContext): unknown {
  if (typeof value === "string") return renderString(value, context);
  if (Array.isArray(value)) return value.map((item) => render(item, context));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, render(item, context)]));
  }
  return value;
}

/** Every string in a JSON value with its path, for checking references at load. */
export function* stringsIn(value: unknown, path: (string | number)[] = []): Generator<{ path: (string | number)[]; text: string }> {
  if (typeof value === "string") yield { path, text: value };
  else if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* stringsIn(item, [...path, i]);
  else if (typeof value === "object" && value !== null) for (const [key, item] of Object.entries(value)) yield* stringsIn(item, [...path, key]);
}

// A sidecar template as written in the config: what to add to a pod, with
// placeholders. Checked at load by rendering it with its defaults and
// validating the result against the Kubernetes API types.
import { issuesAt } from "../../src/issues.ts";
import { z } from "zod";
import { kubeModelSchema } from "../../src/kube/schema.ts";
import type { Container, Named } from "../pod-reader/shape.ts";
import { referencesIn, render, stringsIn, type RenderContext } from "./render.ts";
import { checkDefault, CONVENTIONAL_TYPES, valueSpec, type Value } from "./values.ts";

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits and '-'").max(63);

/** Annotation names podgate itself reads; a value of that name would be ambiguous. */
export const RESERVED_VALUE_NAMES = ["inject", "templates", "status", "native"] as const;

const json = z.record(z.string(), z.unknown());

export const templateSchema = z
  .strictObject({
    /** Add the containers as native sidecars (init containers with restartPolicy Always); the settings' `native` when unset. */
    native: z.boolean().optional(),
    /** Put the sidecar first, so the app starts only once it has started (with a startupProbe or postStart hook). */
    holdApplicationUntilStarted: z.boolean().default(false),
    values: z.record(dnsLabel, valueSpec).default({}),
    containers: z.array(json).default([]),
    initContainers: z.array(json).default([]),
    volumes: z.array(json).default([]),
    /** Added to every app container that has no env var of that name. */
    env: z.array(json).default([]),
    /** Added to every app container that mounts nothing of that name or at that path. */
    volumeMounts: z.array(json).default([]),
    imagePullSecrets: z.array(json).default([]),
  })
  .superRefine((template, context) => {
    for (const [name, spec] of Object.entries(template.values)) {
      if ((RESERVED_VALUE_NAMES as readonly string[]).includes(name)) {
        context.addIssue({ code: "custom", path: ["values", name], message: `"${name}" is reserved for sidecar.podgate.io/${name}` });
      }
      const conventional = CONVENTIONAL_TYPES[name];
      if (conventional !== undefined && spec.type !== conventional) {
        context.addIssue({ code: "custom", path: ["values", name, "type"], message: `"${name}" must have type ${conventional}` });
      }
      const parsed = checkDefault(spec);
      if (!parsed.ok) context.addIssue({ code: "custom", path: ["values", name, "default"], message: parsed.message });
    }
    const { native: _n, holdApplicationUntilStarted: _h, values: _v, ...parts } = template;
    if (Object.values(parts).every((list) => list.length === 0)) {
      context.addIssue({ code: "custom", path: [], message: "a template must add something: containers, initContainers, volumes, env, volumeMounts or imagePullSecrets" });
    }
    let referencesOk = true;
    for (const { path, text } of stringsIn(parts)) {
      const references = referencesIn(text);
      const problem =
        typeof references === "string"
          ? references
          : references.filter((r) => r.kind === "value" && !(r.name in template.values)).map((r) => `"${r.kind === "value" ? r.name : ""}" is not declared in values`)[0];
      if (problem !== undefined) {
        referencesOk = false;
        context.addIssue({ code: "custom", path, message: problem });
      }
    }
    if (!referencesOk) return;
    const rendered = renderTemplate(template, { pod: SAMPLE_POD, values: defaultValues(template) });
    for (const issue of rendered.ok ? [] : rendered.issues) context.addIssue({ code: "custom", path: issue.path, message: issue.message });
  });
export type Template = z.infer<typeof templateSchema>;

const SAMPLE_POD = { name: "sample", namespace: "default", serviceAccount: "default", labels: {}, annotations: {} };

export function defaultValues(template: Template): Record<string, Value> {
  return Object.fromEntries(Object.entries(template.values).map(([name, spec]) => [name, spec.default]));
}

const container = kubeModelSchema("V1Container");
const schemas = {
  containers: container,
  initContainers: container,
  volumes: kubeModelSchema("V1Volume"),
  env: kubeModelSchema("V1EnvVar"),
  volumeMounts: kubeModelSchema("V1VolumeMount"),
  imagePullSecrets: kubeModelSchema("V1LocalObjectReference"),
} as const;
type Part = keyof typeof schemas;
const PARTS = Object.keys(schemas) as Part[];

/** What a template adds once rendered: Kubernetes objects, each with a name. */
export interface Rendered {
  readonly containers: Container[];
  readonly initContainers: Container[];
  readonly volumes: Named[];
  readonly env: Named[];
  readonly volumeMounts: Array<Named & { mountPath: string }>;
  readonly imagePullSecrets: Named[];
}
export interface Issue {
  readonly path: (string | number)[];
  readonly message: string;
}

/** Names that must be present and unique where Kubernetes requires them. */
function nameIssues(rendered: Record<Part, unknown[]>): Issue[] {
  const issues: Issue[] = [];
  const seen = new Map<Part | "container", Set<string>>();
  for (const part of PARTS) {
    const group = part === "containers" || part === "initContainers" ? "container" : part;
    const names = seen.get(group) ?? new Set<string>();
    seen.set(group, names);
    rendered[part].forEach((item, index) => {
      const name = (item as { name?: unknown }).name;
      const label = dnsLabel.safeParse(name);
      const mustBeLabel = group === "container" || part === "volumes";
      if (typeof name !== "string" || name === "") issues.push({ path: [part, index, "name"], message: "a name is required" });
      else if (mustBeLabel && !label.success) issues.push({ path: [part, index, "name"], message: `"${name}" must be a DNS label` });
      else if (names.has(name)) issues.push({ path: [part, index, "name"], message: `duplicate name "${name}"` });
      else names.add(name);
      if (group === "container" && typeof (item as { image?: unknown }).image !== "string") issues.push({ path: [part, index, "image"], message: "an image is required" });
    });
  }
  return issues;
}

/** Renders a template for one pod and checks the result is valid Kubernetes. */
export function renderTemplate(template: Template, context: RenderContext): { ok: true; rendered: Rendered } | { ok: false; issues: Issue[] } {
  const rendered = Object.fromEntries(PARTS.map((part) => [part, render(template[part], context)])) as Record<Part, unknown[]>;
  const issues: Issue[] = [];
  for (const part of PARTS) {
    rendered[part].forEach((item, index) => {
      const result = schemas[part].safeParse(item);
      if (!result.success) {
        for (const issue of issuesAt(result.error.issues)) {
          issues.push({ path: [part, index, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: issue.message });
        }
      }
    });
  }
  issues.push(...nameIssues(rendered));
  // Checked just above against the Kubernetes types and for names, so the narrower type holds.
  return issues.length === 0 ? { ok: true, rendered: rendered as unknown as Rendered } : { ok: false, issues };
}

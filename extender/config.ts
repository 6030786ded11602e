// The `extender` config section: where the verbs are served, which plugins
// run with what weight, and the fields of the scheduler's `extenders:`
// entry. Validated like the rest of the config: errors name the key path.
import { issuesAt } from "../src/issues.ts";
import { z } from "zod";
import { zodProblems } from "../src/config/load.ts";
import { defineSection, type SectionContext } from "../src/config/section.ts";
import type { Framework } from "./framework.ts";
import type { FilterPlugin, PluginType, ScorePlugin } from "./plugins/plugin.ts";
import { ModuleError, resolveFrom } from "../src/toolkit/modules.ts";
import { kubeSchedulerConfiguration, schedulerConfiguration, validateExtenders, type KubeSchedulerConfiguration, type SchedulerExtender } from "./scheduler-config.ts";

const pluginEntry = z.strictObject({
  /** A registered plugin (the built-ins, or what a program registered); with `module`, the name this entry gives the user's plugin. */
  name: z.string().min(1),
  /** A user's module (relative to the config file) whose default export is a plugin made with definePlugin(). */
  module: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  /** Weight among podgate's score plugins (the scheduler's weight for podgate as a whole is `weight`). */
  weight: z.number().int().min(1).max(100).default(1),
  settings: z.unknown().optional(),
});

const DEFAULT_PLUGINS = [
  { name: "resource-fit" },
  { name: "node-rules" },
  { name: "least-allocated" },
  { name: "balanced-allocation" },
  { name: "zone-spread" },
];

const rawSection = z.strictObject({
  enabled: z.boolean().default(true),
  /** Path the verbs are served under: POST <urlPrefix>/filter etc. */
  urlPrefix: z.string().regex(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, "expected an absolute URL path without a trailing slash, e.g. /extender").default("/extender"),
  /** The scheduler sends NodeNames only; podgate keeps Nodes and Pods in its own informer cache. */
  nodeCacheCapable: z.boolean().default(false),
  /** In full-NodeList mode, also watch pods so fit and scores see what is already requested on each node. */
  watchPods: z.boolean().default(false),
  /** Kubeconfig for the informers and bind; in-cluster or the default kubeconfig when absent. */
  kubeconfig: z.string().min(1).optional(),
  /** Full relist interval, correcting any drift of the watch-fed cache. */
  resyncSeconds: z.number().int().min(10).max(86400).default(300),
  /** The cache keeps answering without the API; past this many seconds without its watch, /readyz says so. */
  staleAfterSeconds: z.number().int().min(1).max(86400).default(60),
  filter: z.boolean().default(true),
  prioritize: z.boolean().default(true),
  preempt: z.boolean().default(false),
  bind: z.strictObject({ enabled: z.boolean().default(false) }).prefault({}),
  /** The scheduler multiplies podgate's 0..10 scores by this weight. */
  weight: z.number().int().default(1),
  httpTimeoutSeconds: z.number().positive().max(600).default(5),
  /** When podgate fails or is unreachable, the scheduler goes on without it. */
  ignorable: z.boolean().default(false),
  managedResources: z.array(z.strictObject({ name: z.string().min(1), ignoredByScheduler: z.boolean().default(false) })).default([]),
  plugins: z.array(pluginEntry).default(DEFAULT_PLUGINS.map((p) => ({ ...p, enabled: true, weight: 1 }))),
});
type RawSection = z.infer<typeof rawSection>;

export interface ExtenderSection extends Omit<RawSection, "plugins"> {
  readonly plugins: RawSection["plugins"];
  readonly framework: Framework;
}

/** The entry's plugin: a user's module, or registered by name; a string is the problem. */
function pluginOf(entry: RawSection["plugins"][number], plugins: readonly PluginType[], { baseDir, modules }: SectionContext): PluginType | string {
  if (entry.module !== undefined) {
    try {
      return modules.loadDefinition<PluginType>(resolveFrom(baseDir, entry.module), "plugin");
    } catch (error) {
      if (error instanceof ModuleError) return error.message;
      throw error;
    }
  }
  return plugins.find((t) => t.name === entry.name) ?? `unknown plugin "${entry.name}"; expected one of: ${plugins.map((t) => t.name).join(", ")} (or give module: a file exporting a plugin)`;
}

function build(section: RawSection, context: z.RefinementCtx, plugins: readonly PluginType[], sectionContext: SectionContext): ExtenderSection | typeof z.NEVER {
  const filters: Framework["filters"][number][] = [];
  const scorers: Framework["scorers"][number][] = [];
  const issue = (path: (string | number)[], message: string) => context.addIssue({ code: "custom", path, message });
  const seen = new Set<string>();
  // Once a plugin entry is wrong, "no plugin filters" would only repeat it.
  let broken = false;
  section.plugins.forEach((entry, index) => {
    const type = pluginOf(entry, plugins, sectionContext);
    if (typeof type === "string") {
      broken = true;
      return issue(["plugins", index, entry.module === undefined ? "name" : "module"], type);
    }
    if (seen.has(entry.name)) return issue(["plugins", index, "name"], `plugin "${entry.name}" is listed twice`);
    seen.add(entry.name);
    const settings = type.settings.safeParse(entry.settings ?? {});
    if (!settings.success) {
      broken = true;
      for (const problem of issuesAt(settings.error.issues)) issue(["plugins", index, "settings", ...problem.path.map((p) => (typeof p === "symbol" ? String(p) : p))], problem.message);
      return;
    }
    if (!entry.enabled) return;
    const plugin = type.create(settings.data);
    if (section.filter && plugin.filter) filters.push({ name: entry.name, plugin: plugin as FilterPlugin });
    if (section.prioritize && plugin.score) scorers.push({ name: entry.name, weight: entry.weight, plugin: plugin as ScorePlugin });
  });
  if (!broken && section.filter && filters.length === 0) issue(["filter"], "the filter verb is on but no enabled plugin filters; enable one (resource-fit, node-rules) or set filter: false");
  if (!broken && section.prioritize && scorers.length === 0) issue(["prioritize"], "the prioritize verb is on but no enabled plugin scores; enable one or set prioritize: false");
  if (section.preempt && !section.nodeCacheCapable) issue(["preempt"], "preempt needs nodeCacheCapable: true: a preemption call carries no Nodes, so podgate must know them from its cache");
  if (section.preempt && !section.filter) issue(["preempt"], "preempt checks candidates with the filter plugins; it needs filter: true");
  for (const problem of validateExtenders([schedulerExtender(section, "https://podgate")])) issue(problem.path.slice(2), problem.message);
  return { ...section, framework: { filters, scorers } };
}

/** The section's schema over the plugins a config can name; module paths are read against baseDir (the config file's directory). */
const sectionSchema = (plugins: readonly PluginType[], sectionContext: SectionContext) => rawSection.transform((section, context) => build(section, context, plugins, sectionContext)).prefault({});
export type ExtenderConfig = z.output<ReturnType<typeof sectionSchema>>;

/**
 * The `extender` section. Its schema knows the registered plugins, so each registry makes its own;
 * the getter (`.of(config)`) reads the section by name from a config any of them loaded.
 */
export const extenderSection = (plugins: readonly PluginType[]) => defineSection("extender", (context) => sectionSchema(plugins, context), { live: ["plugins", "framework"] });

/** The scheduler's `extenders:` entry for this section, reached at `url` (the full URL of urlPrefix). */
export function schedulerExtender(section: Omit<RawSection, "plugins">, url: string): SchedulerExtender {
  return {
    urlPrefix: url,
    ...(section.filter ? { filterVerb: "filter" } : {}),
    ...(section.prioritize ? { prioritizeVerb: "prioritize", weight: section.weight } : {}),
    ...(section.preempt ? { preemptVerb: "preempt" } : {}),
    ...(section.bind.enabled ? { bindVerb: "bind" } : {}),
    enableHTTPS: url.startsWith("https:"),
    httpTimeout: `${section.httpTimeoutSeconds}s`,
    nodeCacheCapable: section.nodeCacheCapable,
    ...(section.managedResources.length > 0 ? { managedResources: section.managedResources } : {}),
    ignorable: section.ignorable,
  };
}

export interface SchedulerConfigRequest {
  /** The full URL of urlPrefix as the scheduler reaches it. */
  readonly url: string;
  /** PEM of the CA that signed podgate's serving certificate (inlined as caData). */
  readonly caPem?: string | undefined;
  /** Path of that CA on the scheduler's host (caFile); wins over caPem. */
  readonly caFile?: string | undefined;
  readonly profileName?: string | undefined;
  readonly kubeconfig?: string | undefined;
  /** A decoded KubeSchedulerConfiguration to add podgate's extender to. */
  readonly base?: unknown;
}

/** The scheduler configuration for this section, or the problems (key paths included) that the scheduler would refuse. */
export function podgateSchedulerConfig(section: ExtenderConfig, request: SchedulerConfigRequest): { ok: true; config: KubeSchedulerConfiguration } | { ok: false; problems: string[] } {
  let base: KubeSchedulerConfiguration | undefined;
  if (request.base !== undefined) {
    const parsed = kubeSchedulerConfiguration.safeParse(request.base);
    if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, "(merged config)") };
    base = parsed.data;
  }
  const tls = request.caFile ? { caFile: request.caFile } : request.caPem ? { caData: Buffer.from(request.caPem).toString("base64") } : undefined;
  const extender = { ...schedulerExtender(section, request.url), ...(tls && request.url.startsWith("https:") ? { tlsConfig: tls } : {}) };
  const config = schedulerConfiguration({ extender, profileName: request.profileName, kubeconfig: request.kubeconfig, base });
  const problems = validateExtenders(config.extenders ?? []).map((p) => `${p.path.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)).join("").slice(1)}: ${p.message}`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, config };
}

// Loading the config: YAML text -> validated config with webhook handlers
// built. Every error names the key path; unknown keys are errors.
import type { SectionContext } from "./section.ts";
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import { z } from "zod";
import type { AdmissionHandler } from "../admission/handler.ts";
import { issueProblems } from "../issues.ts";
import { ModuleError, ModuleLoader, resolveFrom } from "../toolkit/modules.ts";
import { configShape, webhookEntry, type NamespacesConfig, type ServerConfig, type WebhookEntry, type WebhookIdentity, type WebhookType } from "./schema.ts";

export class ConfigError extends Error {
  readonly problems: readonly string[];
  /** The files the failed load read, so a reload can watch for their fix. */
  readonly files: readonly string[];
  constructor(source: string, problems: readonly string[], files: readonly string[] = []) {
    super(`invalid config ${source}:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
    this.files = files;
  }
}

/** What the wiring registers: webhook types, and schemas for extra top-level sections. */
export interface ConfigRegistry {
  readonly webhookTypes: readonly WebhookType[];
  readonly sections: Readonly<Record<string, (context: SectionContext) => z.ZodType>>;
}

export interface LoadedConfig {
  readonly server: ServerConfig;
  readonly namespaces: NamespacesConfig;
  readonly entries: { readonly mutating: readonly WebhookEntry[]; readonly validating: readonly WebhookEntry[] };
  readonly mutating: readonly AdmissionHandler[];
  readonly validating: readonly AdmissionHandler[];
  /** Validated extra sections, by name (e.g. "extender"). */
  readonly sections: Readonly<Record<string, unknown>>;
  /** The config file's directory, which its paths are read against. */
  readonly baseDir: string;
  /** Every file this config was built from (the config file, modules and what they import, policy files). */
  readonly files: readonly string[];
  /** Which load of the config this is: 0 first, then one more per reload. */
  readonly generation: number;
  /** Tells the webhooks this config stops serving (their identity's signal), so they release workers and timers. */
  retire(): void;
}

export function zodProblems(error: z.ZodError, prefix = ""): string[] {
  return issueProblems(error.issues, prefix);
}

/** The entry's webhook type: registered by name, or a user's module; undefined after pushing the problem. */
function typeOf(kind: "mutating" | "validating", entry: WebhookEntry, at: string, registry: ConfigRegistry, { baseDir, modules }: Pick<WebhookIdentity, "baseDir" | "modules">, problems: string[]): WebhookType | undefined {
  const candidates = registry.webhookTypes.filter((t) => t.kind === kind);
  const known = candidates.map((t) => t.type).join(", ") || "(none)";
  if ((entry.type === undefined) === (entry.module === undefined)) {
    problems.push(`${at}: give either type (registered ${kind} webhooks: ${known}) or module (a file exporting a ${kind} webhook), not ${entry.type ? "both" : "neither"}`);
    return undefined;
  }
  if (entry.module !== undefined) {
    try {
      return modules.loadDefinition<WebhookType>(resolveFrom(baseDir, entry.module), kind === "mutating" ? "mutating-webhook" : "validating-webhook");
    } catch (error) {
      if (!(error instanceof ModuleError)) throw error;
      problems.push(`${at}.module: ${error.message}`);
      return undefined;
    }
  }
  const type = candidates.find((t) => t.type === entry.type);
  if (!type) problems.push(`${at}.type: unknown ${kind} webhook type "${entry.type}"; expected one of: ${known}`);
  return type;
}

/** Entries that failed the schema are holes (undefined): the others are still built, so one run reports every problem. */
function buildHandlers(
  kind: "mutating" | "validating",
  entries: readonly (WebhookEntry | undefined)[],
  registry: ConfigRegistry,
  context: Omit<WebhookIdentity, "name" | "failurePolicy" | "timeoutSeconds">,
  problems: string[],
) {
  const handlers: AdmissionHandler[] = [];
  const names = new Set<string>();
  entries.forEach((entry, index) => {
    if (!entry) return;
    const at = `admission.${kind}[${index}]`;
    if (names.has(entry.name)) problems.push(`${at}.name: duplicate webhook name "${entry.name}"`);
    names.add(entry.name);
    const type = typeOf(kind, entry, at, registry, context, problems);
    if (!type) return;
    const settings = type.settings.safeParse(entry.settings ?? {});
    if (!settings.success) {
      problems.push(...zodProblems(settings.error, `${at}.settings`));
      return;
    }
    if (!entry.enabled) return;
    try {
      handlers.push(type.create({ name: entry.name, failurePolicy: entry.failurePolicy, timeoutSeconds: entry.timeoutSeconds, ...context }, settings.data));
    } catch (error) {
      // A type's loader may report several problems (one a line); each gets the entry's path, joined to
      // the settings key it names when it names one (library[0].params.registries).
      for (const problem of (error as Error).message.split("\n")) problems.push(/^\w+\[\d+\]/.test(problem) ? `${at}.settings.${problem}` : `${at}.settings: ${problem}`);
    }
  });
  return handlers;
}

/**
 * An entry whose own fields failed the schema (already reported) still has its type, module and settings
 * checked: each failing field falls back to its default; only an entry with no usable name or type is skipped.
 */
const entryStillCheckable = z.object(
  Object.fromEntries(Object.entries(webhookEntry.shape).map(([key, field]: [string, z.ZodType]) => [key, field.catch(() => field.safeParse(undefined).data)]))
);

/** The raw entries of one webhook list, each read alone for what can still be checked; unusable ones are holes. */
function entriesToCheck(raw: unknown, kind: "mutating" | "validating"): (WebhookEntry | undefined)[] {
  const admission = isRecord(raw) && isRecord(raw["admission"]) ? raw["admission"] : {};
  const list = admission[kind];
  if (!Array.isArray(list)) return [];
  return list.map((entry: unknown) => {
    const parsed = entryStillCheckable.safeParse(entry);
    // Each field is webhookEntry's own or its default, so with a name the result is a WebhookEntry.
    return parsed.success && typeof parsed.data["name"] === "string" ? (parsed.data as WebhookEntry) : undefined;
  });
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Validates an already-decoded config object. Paths in it (modules, policy
 * files) are read against baseDir: the config file's directory. A reload
 * passes the next generation, so users' modules load afresh.
 */
export function buildConfig(raw: unknown, registry: ConfigRegistry, source = "(config)", baseDir = process.cwd(), generation = 0): LoadedConfig {
  const modules = new ModuleLoader(generation);
  const lifetime = new AbortController();
  const schema = z.strictObject({
    ...configShape,
    ...Object.fromEntries(Object.entries(registry.sections).map(([name, section]) => [name, section({ baseDir, modules })])),
  });
  const parsed = schema.safeParse(raw ?? {});
  const problems = parsed.success ? [] : zodProblems(parsed.error);
  // With the schema failed, the webhooks' own problems (settings, modules, policy files) are still reported in the same run.
  const watchesNamespaces = parsed.success ? parsed.data.namespaces.watch : isRecord(raw) && isRecord(raw["namespaces"]) && raw["namespaces"]["watch"] === true;
  const context = { baseDir, watchesNamespaces, modules, signal: lifetime.signal };
  const mutating = buildHandlers("mutating", parsed.success ? parsed.data.admission.mutating : entriesToCheck(raw, "mutating"), registry, context, problems);
  const validating = buildHandlers("validating", parsed.success ? parsed.data.admission.validating : entriesToCheck(raw, "validating"), registry, context, problems);
  if (!parsed.success || problems.length > 0) {
    lifetime.abort();
    throw new ConfigError(source, problems, modules.files);
  }
  const data = parsed.data as z.output<typeof schema> & Record<string, unknown>;
  const sections = Object.fromEntries(Object.keys(registry.sections).map((name) => [name, data[name]]));
  return {
    server: data.server,
    namespaces: data.namespaces,
    entries: data.admission,
    mutating,
    validating,
    sections,
    baseDir,
    files: modules.files,
    generation,
    retire: () => lifetime.abort(),
  };
}

/** Decodes YAML (duplicate keys are errors) without validating it. */
export function decodeYaml(text: string, source = "(config)"): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) throw new ConfigError(source, document.errors.map((e) => e.message.split("\n")[0] ?? e.message));
  try {
    return document.toJS();
  } catch (error) {
    // Parsing succeeds but building the values can still fail (an alias before its anchor).
    throw new ConfigError(source, [(error as Error).message.split("\n")[0] ?? String(error)]);
  }
}

export function parseConfig(text: string, registry: ConfigRegistry, source = "(config)", baseDir = process.cwd()): LoadedConfig {
  return buildConfig(decodeYaml(text, source), registry, source, baseDir);
}

export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(path, [(error as Error).message]);
  }
  return decodeYaml(text, path);
}

// What a config can name: webhook types by `type:`, scheduler plugins by
// `name:`, extra top-level sections. The built-ins are registered here the
// same way a program built on podgate registers its own (createPodgate).
import type { Command } from "commander";
import type { z } from "zod";
import type { ConfigRegistry } from "../config/load.ts";
import type { Section, SectionContext } from "../config/section.ts";
import { configShape, type WebhookType } from "../config/schema.ts";
import type { PluginType } from "../../extender/plugins/plugin.ts";
import { definitionKind } from "./definition-kind.ts";

export type Definition = WebhookType | PluginType;

/** A `podgate` CLI command a definition brings; with `parent`, a subcommand of that group (e.g. `export`). */
export interface CliCommand {
  readonly parent?: string;
  /** Gets the program's registry, for a command that loads a config (its webhook types, plugins and sections). */
  readonly make: (registry: ConfigRegistry) => Command;
}

export class Registry implements ConfigRegistry {
  readonly webhookTypes: WebhookType[] = [];
  readonly plugins: PluginType[] = [];
  readonly sections: Record<string, (context: SectionContext) => z.ZodType> = {};
  readonly liveSectionKeys: Record<string, readonly string[]> = {};
  readonly commands: CliCommand[] = [];

  /** Adds webhooks (by their `type`) and plugins (by their `name`); a second one of the same name is an error. */
  register(...definitions: readonly Definition[]): this {
    for (const definition of definitions) {
      const kind = definitionKind(definition);
      if (kind === "plugin") {
        const plugin = definition as PluginType;
        if (this.plugins.some((p) => p.name === plugin.name)) throw new Error(`a scheduler plugin named "${plugin.name}" is already registered`);
        this.plugins.push(plugin);
      } else if (kind === "mutating-webhook" || kind === "validating-webhook") {
        const webhook = definition as WebhookType;
        if (!webhook.type) throw new Error(`a ${webhook.kind} webhook needs a type to be registered (defineMutatingWebhook({ type: "…", … }))`);
        if (this.webhookTypes.some((t) => t.kind === webhook.kind && t.type === webhook.type)) throw new Error(`a ${webhook.kind} webhook type "${webhook.type}" is already registered`);
        this.webhookTypes.push(webhook);
      } else {
        throw new TypeError("register() takes webhooks made with defineMutatingWebhook/defineValidatingWebhook and plugins made with definePlugin");
      }
    }
    return this;
  }

  /** Adds CLI commands; `podgate` lists them beside its own. */
  command(...commands: readonly CliCommand[]): this {
    this.commands.push(...commands);
    return this;
  }

  /** A top-level config section (defineSection); its getter reads it from any config this registry loads. */
  section(section: Section<unknown>): this {
    const { name } = section;
    if (name in this.sections || name in configShape) throw new Error(`a config section "${name}" already exists`);
    this.sections[name] = section.schema;
    this.liveSectionKeys[name] = section.live;
    return this;
  }
}

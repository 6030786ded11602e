// A top-level config section beside server and admission (certificates, the
// extender, a program's own): its schema, built per load because it may read
// paths against the config file, and a typed getter, so no caller casts
// `config.sections[name]`.
import type { z } from "zod";
import type { ModuleLoader } from "../toolkit/modules.ts";

/** What a section's schema may depend on besides its own keys. */
export interface SectionContext {
  /** The config file's directory: paths in the section are read against it. */
  readonly baseDir: string;
  /** Loads the section's modules (a plugin's `module:`) for this config, so reloads see their changes. */
  readonly modules: ModuleLoader;
}

export interface Section<T> {
  readonly name: string;
  readonly schema: (context: SectionContext) => z.ZodType<T>;
  /** Keys a config reload applies without a restart (an Extension's adopt() takes them); a change to any other key needs one. */
  readonly live: readonly string[];
  /** The section as its schema made it when the config was loaded. */
  readonly of: (config: { readonly sections: Readonly<Record<string, unknown>> }) => T;
}

export function defineSection<T>(name: string, schema: (context: SectionContext) => z.ZodType<T>, options: { readonly live?: readonly string[] } = {}): Section<T> {
  return {
    name,
    schema,
    live: options.live ?? [],
    of: (config) => {
      if (!(name in config.sections)) throw new Error(`config section "${name}" was not registered with the registry that loaded this config`);
      // Loading validated it with `schema`: what is there is its output.
      return config.sections[name] as T;
    },
  };
}

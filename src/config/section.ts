// A top-level config section beside server and admission (certificates, the
// extender, a program's own): its schema, built per load because it may read
// paths against the config file, and a typed getter, so no caller casts
// `config.sections[name]`.
import type { z } from "zod";

/** What a section's schema may depend on besides its own keys. */
export interface SectionContext {
  /** The config file's directory: paths in the section are read against it. */
  readonly baseDir: string;
}

export interface Section<T> {
  readonly name: string;
  readonly schema: (context: SectionContext) => z.ZodType<T>;
  /** The section as its schema made it when the config was loaded. */
  readonly of: (config: { readonly sections: Readonly<Record<string, unknown>> }) => T;
}

export function defineSection<T>(name: string, schema: (context: SectionContext) => z.ZodType<T>): Section<T> {
  return {
    name,
    schema,
    of: (config) => {
      if (!(name in config.sections)) throw new Error(`config section "${name}" was not registered with the registry that loaded this config`);
      // Loading validated it with `schema`: what is there is its output.
      return config.sections[name] as T;
    },
  };
}

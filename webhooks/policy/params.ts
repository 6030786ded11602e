// What a policy's params may be. A policy declares them with spec.paramsSchema
// (a JSON Schema), or implicitly by its default spec.params (those keys, each
// of its default's JSON type). Params from the config are checked against that
// at load: a misspelt key must fail the config with its path, not deny every
// pod at run time with "No such key".
import { z } from "zod";
import { zodProblems } from "../../src/config/load.ts";
import type { PolicySpec } from "./schema.ts";

/** The zod schema of a policy's params, or a problem when its paramsSchema is not a usable JSON Schema. */
export function paramsSchemaOf(spec: Pick<PolicySpec, "params" | "paramsSchema">): { schema: z.ZodType } | { problem: string } {
  if (spec.paramsSchema !== undefined) {
    try {
      return { schema: z.fromJSONSchema(spec.paramsSchema) };
    } catch (error) {
      return { problem: `spec.paramsSchema: not a usable JSON Schema: ${(error as Error).message}` };
    }
  }
  const defaults = spec.params ?? {};
  return { schema: z.strictObject(Object.fromEntries(Object.entries(defaults).map(([key, value]) => [key, likeDefault(value).optional()]))) };
}

/** The JSON type of a default value, as a schema: its key declares the param and its type. */
function likeDefault(value: unknown): z.ZodType {
  if (Array.isArray(value)) return z.array(z.unknown());
  switch (typeof value) {
    case "string":
      return z.string();
    case "number":
      return z.number();
    case "boolean":
      return z.boolean();
    case "object":
      return value === null ? z.null() : z.record(z.string(), z.unknown());
    default:
      return z.unknown();
  }
}

/** Every way `params` misses the schema, each naming its key path under `at`. */
export function paramsProblems(schema: z.ZodType, params: unknown, at: string): string[] {
  const parsed = schema.safeParse(params);
  return parsed.success ? [] : zodProblems(parsed.error, at);
}

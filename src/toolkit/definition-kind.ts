// What a definition is (webhook or plugin), marked on the object, so the
// loader can say what a module exported instead of only what it expected.
export const DEFINITION = Symbol.for("podgate.definition");
export type DefinitionKind = "mutating-webhook" | "validating-webhook" | "plugin";

export function definitionKind(value: unknown): DefinitionKind | undefined {
  return typeof value === "object" && value !== null ? ((value as Record<symbol, DefinitionKind | undefined>)[DEFINITION] ?? undefined) : undefined;
}

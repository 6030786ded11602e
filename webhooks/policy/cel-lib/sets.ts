// cel-go's ext.Sets: lists compared as sets, with CEL's equality (1 == 1.0 == 1u).
import type { Environment } from "@marcbachmann/cel-js";
import { registerNamespace } from "./value.ts";
import { celIncludes } from "./values.ts";

const contains = (list: readonly unknown[], sub: readonly unknown[]) => sub.every((v) => celIncludes(list, v));

export function registerSets(env: Environment): void {
  const sets = registerNamespace(env, "sets");
  env.registerFunction(`${sets}.contains(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) => contains(a, b));
  env.registerFunction(`${sets}.equivalent(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) => contains(a, b) && contains(b, a));
  env.registerFunction(`${sets}.intersects(list, list): bool`, (_: unknown, a: unknown[], b: unknown[]) => a.some((v) => celIncludes(b, v)));
}

// cel-go's ext.TwoVarComprehensions (kube-apiserver enables them for
// admission policies): all, exists, existsOne, transformList, transformMap and
// transformMapEntry with an index (list) or key (map) and a value. Macros on cel-js's macro hooks: the variables are
// bound through the same overlay contexts its own macros (cel.bind) use.
import type { ASTNode, Environment } from "@marcbachmann/cel-js";
import { variableName, type Checker, type Evaluator, type MacroCall, type Overlay } from "./macro.ts";
import { celError } from "./value.ts";
import { celEquals } from "./values.ts";

type Kind = "all" | "exists" | "existsOne" | "transformList" | "transformMap" | "transformMapEntry";
const RESULT_TYPE: Record<Kind, string> = { all: "bool", exists: "bool", existsOne: "bool", transformList: "list", transformMap: "map", transformMapEntry: "map" };

/** [key or index, value] pairs of a list or map, in iteration order. */
function pairsOf(receiver: unknown, kind: Kind): [unknown, unknown][] {
  if (Array.isArray(receiver)) return receiver.map((v, i) => [BigInt(i), v]);
  if (receiver instanceof Map) return [...(receiver as Map<unknown, unknown>).entries()];
  if (typeof receiver === "object" && receiver !== null) return Object.entries(receiver);
  throw celError(`${kind}() applies to lists and maps`);
}

/** Keys of a map result: CEL map keys are compared by value, so 1 and 1u collide. */
function insert(map: Map<unknown, unknown>, key: unknown, value: unknown): void {
  for (const existing of map.keys()) if (celEquals(existing, key)) throw celError(`insert failed: key ${String(key)} already exists`);
  map.set(key, value);
}

function entriesOfMapValue(value: unknown): [unknown, unknown][] {
  if (value instanceof Map) return [...(value as Map<unknown, unknown>).entries()];
  if (typeof value === "object" && value !== null && !Array.isArray(value)) return Object.entries(value);
  throw celError("transformMapEntry() expression must return a map");
}

/**
 * One macro: `args` are the variable names, then the optional filter (for the
 * transforms' four-argument forms), then the step expression.
 */
function macro(kind: Kind) {
  return ({ args, receiver }: MacroCall) => {
    const names = args.slice(0, 2).map((a) => variableName(a, kind));
    if (names[0] === names[1]) throw celError(`${kind}() variables must be distinct: ${names[0]}`);
    const rest = args.slice(2);
    const [filter, step] = rest.length === 2 ? [rest[0], rest[1]!] : [undefined, rest[0]!];
    let inner: Overlay | undefined;
    let outer: Overlay | undefined;
    const bind = (ctx: unknown, pair: [unknown, unknown], ev: Evaluator): Overlay => {
      const first = outer!.reuse(ctx).setIterValue(pair[0], ev);
      return inner!.reuse(first).setIterValue(pair[1], ev);
    };
    return {
      typeCheck(checker: Checker, _macro: unknown, ctx: Overlay) {
        checker.check(receiver, ctx);
        const dyn = checker.getType("dyn");
        outer = ctx.forkWithVariable(names[0]!, dyn);
        inner = outer.forkWithVariable(names[1]!, dyn);
        const scope = inner;
        if (filter) checker.check(filter, scope);
        checker.check(step, scope);
        return checker.getType(RESULT_TYPE[kind]);
      },
      evaluate(ev: Evaluator, _macro: unknown, ctx: unknown) {
        const pairs = pairsOf(ev.run(receiver, ctx), kind);
        const predicate = (scope: Overlay, ast: ASTNode) => {
          const value = ev.run(ast, scope);
          if (typeof value !== "boolean") throw celError(`${kind}() predicate must return bool`);
          return value;
        };
        switch (kind) {
          case "all":
          case "exists": {
            // Like && and ||: an error counts only if no element decides the result.
            const decisive = kind === "exists";
            let error: unknown;
            for (const pair of pairs) {
              try {
                if (predicate(bind(ctx, pair, ev), step) === decisive) return decisive;
              } catch (e) {
                error ??= e;
              }
            }
            if (error !== undefined) throw error;
            return !decisive;
          }
          case "existsOne":
            return pairs.filter((pair) => predicate(bind(ctx, pair, ev), step)).length === 1;
          case "transformList":
            return pairs.flatMap((pair) => {
              const scope = bind(ctx, pair, ev);
              return filter && !predicate(scope, filter) ? [] : [ev.run(step, scope)];
            });
          case "transformMap":
          case "transformMapEntry": {
            const out = new Map<unknown, unknown>();
            for (const pair of pairs) {
              const scope = bind(ctx, pair, ev);
              if (filter && !predicate(scope, filter)) continue;
              const value = ev.run(step, scope);
              if (kind === "transformMap") insert(out, pair[0], value);
              else for (const [k, v] of entriesOfMapValue(value)) insert(out, k, v);
            }
            return out;
          }
        }
      },
    };
  };
}

export function registerComprehensions(env: Environment): void {
  for (const receiver of ["list", "map"]) {
    for (const kind of ["all", "exists", "existsOne"] as const) env.registerFunction(`${receiver}.${kind}(ast, ast, ast): bool`, macro(kind));
    for (const kind of ["transformList", "transformMap", "transformMapEntry"] as const) {
      env.registerFunction(`${receiver}.${kind}(ast, ast, ast): ${RESULT_TYPE[kind]}`, macro(kind));
      env.registerFunction(`${receiver}.${kind}(ast, ast, ast, ast): ${RESULT_TYPE[kind]}`, macro(kind));
    }
  }
}

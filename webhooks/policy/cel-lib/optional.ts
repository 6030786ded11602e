// What cel-go's optional library (all versions, as kube-apiserver enables it)
// adds to cel-js's optionals: optional.ofNonZeroValue, optMap, optFlatMap,
// first, last, unwrapOpt and optional.unwrap. (The `[?x]` and `{?k: v}`
// literal forms need parser support cel-js lacks: they fail to compile.)
import { Optional, type Environment } from "@marcbachmann/cel-js";
import { Duration, UnsignedInt } from "@marcbachmann/cel-js/evaluator";
import { bindingMacro } from "./macro.ts";
import { celError } from "./value.ts";

/** The zero value of its type: 0, "", false, null, empty bytes, list or map, a zero duration or timestamp. */
function isZero(v: unknown): boolean {
  if (v === null || v === false || v === "" || v === 0n || v === 0) return true;
  if (v instanceof UnsignedInt) return v.valueOf() === 0n;
  if (v instanceof Uint8Array || Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  if (v instanceof Duration) return v.seconds === 0n && v.nanos === 0;
  if (v instanceof Date) return v.getTime() === 0;
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.keys(v).length === 0;
  return false;
}

const asOptional = (v: unknown, fn: string): Optional => {
  if (v instanceof Optional) return v;
  throw celError(`${fn}() applies to optional values`);
};

const unwrap = (list: readonly unknown[]) => list.flatMap((o) => (asOptional(o, "unwrap").hasValue() ? [asOptional(o, "unwrap").value()] : []));

export function registerOptional(env: Environment): void {
  env.registerFunction("OptionalNamespace.ofNonZeroValue(dyn): optional<dyn>", (_: unknown, v: unknown) => (isZero(v) ? Optional.none() : Optional.of(v)));
  env.registerFunction("OptionalNamespace.unwrap(list): list", (_: unknown, l: unknown[]) => unwrap(l));
  env.registerFunction("list.unwrapOpt(): list", unwrap);
  env.registerFunction("list.first(): optional<dyn>", (l: unknown[]) => (l.length ? Optional.of(l[0]) : Optional.none()));
  env.registerFunction("list.last(): optional<dyn>", (l: unknown[]) => (l.length ? Optional.of(l.at(-1)) : Optional.none()));
  env.registerFunction(
    "optional.optMap(ast, ast): optional<dyn>",
    bindingMacro("optMap", "optional", (o, map) => (asOptional(o, "optMap").hasValue() ? Optional.of(map(asOptional(o, "optMap").value())) : Optional.none())),
  );
  env.registerFunction(
    "optional.optFlatMap(ast, ast): optional<dyn>",
    bindingMacro("optFlatMap", "optional", (o, map) => (asOptional(o, "optFlatMap").hasValue() ? asOptional(map(asOptional(o, "optFlatMap").value()), "optFlatMap") : Optional.none())),
  );
}

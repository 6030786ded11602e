// What a library call costs beyond its one evaluation step, in the meter's
// units, from its argument values: work proportional to the strings and lists
// it walks, in cel-go's spirit (a tenth of a unit per character, one per list
// element compared). Charged before the call runs, so an expression cannot
// make podgate sort, search or allocate past its budget.
import { OVERRIDE_PREFIX } from "./value.ts";

const chars = (v: unknown): number => (typeof v === "string" ? v.length : 0);
const items = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
const tenth = (n: number) => Math.ceil(n / 10);
const stringWork = (values: readonly unknown[]) => tenth(values.reduce<number>((sum, v) => sum + chars(v), 0));
const listWork = (values: readonly unknown[]) => values.reduce<number>((sum, v) => sum + items(v), 0);
/** A regular expression scan: the subject's length times the pattern's. */
const regexWork = (values: readonly unknown[]) => tenth((chars(values[0]) + 1) * (chars(values.at(-1) === values[0] ? "" : values[1]) + 1));

const STRING_FUNCTIONS = ["indexOf", "lastIndexOf", "lowerAscii", "upperAscii", "split", "substring", "trim", "charAt", "replace", "quote", "contains", "startsWith", "endsWith", "url", "isURL", "quantity", "isQuantity", "ip", "isIP", "cidr", "isCIDR", "semver", "isSemver", "validate", "string"];

const COSTS = new Map<string, (values: readonly unknown[]) => number>([
  ...STRING_FUNCTIONS.map((name) => [name, (values: readonly unknown[]) => stringWork(values) + listWork(values)] as const),
  ...["matches", "find", "findAll"].map((name) => [name, regexWork] as const),
  ["join", (values) => listWork(values) + tenth((values[0] as unknown[]).reduce<number>((sum, v) => sum + chars(v), 0))],
  ["sort", (values) => {
    const n = items(values[0]);
    return n * Math.max(1, Math.ceil(Math.log2(n + 1)));
  }],
  ["distinct", (values) => items(values[0]) ** 2],
  ["contains", (values) => items(values[1]) * items(values[2]) + stringWork(values)],
  ["equivalent", (values) => 2 * items(values[1]) * items(values[2])],
  ["intersects", (values) => items(values[1]) * items(values[2])],
  ["range", (values) => (typeof values[1] === "bigint" && values[1] > 0n ? Number(values[1]) : 0)],
  ...["flatten", "reverse", "slice", "sum", "min", "max", "isSorted", "unwrapOpt", "unwrap", "first", "last"].map((name) => [name, listWork] as const),
]);

/** The extra units a call of `name` (as compiled, perhaps renamed) costs on these argument values (receiver first). */
export function callCost(name: string, values: readonly unknown[]): number {
  const cost = COSTS.get(name.startsWith(OVERRIDE_PREFIX) ? name.slice(OVERRIDE_PREFIX.length) : name);
  return cost ? cost(values) : 0;
}

/** Whether calls of this name are charged by their arguments. */
export const isCostedCall = (name: string) => COSTS.has(name.startsWith(OVERRIDE_PREFIX) ? name.slice(OVERRIDE_PREFIX.length) : name);

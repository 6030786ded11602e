// What a library call costs beyond its one evaluation step, in the meter's
// units, from its argument values: work proportional to the strings and lists
// it walks, in cel-go's spirit (a tenth of a unit per character, one per list
// element compared). Charged before the call runs, so an expression cannot
// make podgate sort, search or allocate past its budget (a root call included:
// cel-js evaluates the root without its evaluator's run()).
import type { ASTNode } from "@marcbachmann/cel-js";
import { METER, type CostMeter } from "../cel-cost.ts";
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

/** A checked call node as cel-js keeps it: its argument nodes and the dispatcher it evaluates them with. */
interface CallNode {
  readonly op: "call" | "rcall";
  readonly args: unknown[];
  readonly receiverWithArgs?: ASTNode[];
  readonly meta: { readonly macro?: unknown; readonly alternate?: unknown };
  evaluate: (ev: Evaluator, ast: CallNode, ctx: Context) => unknown;
  handle(values: unknown[], a: unknown, b: unknown): unknown;
}
interface Evaluator {
  run(ast: ASTNode, ctx: Context): unknown;
}
interface Context {
  getValue(key: PropertyKey): unknown;
}

const isNode = (value: unknown): value is ASTNode => typeof value === "object" && value !== null && "op" in value && "args" in value;

/**
 * Gives each library call node of a checked expression an evaluate() that
 * evaluates its arguments, charges their work to the meter in the bindings,
 * then makes the call as cel-js would. Other nodes are left alone, so
 * expressions without such calls pay nothing for this.
 */
export function meterCalls(node: ASTNode): void {
  const call = node as unknown as CallNode;
  if ((node.op === "call" || node.op === "rcall") && !call.meta.macro && !call.meta.alternate) {
    const name = call.args[0] as string;
    const cost = COSTS.get(name.startsWith(OVERRIDE_PREFIX) ? name.slice(OVERRIDE_PREFIX.length) : name);
    if (cost) {
      call.evaluate = (ev, ast, ctx) => {
        const values = (ast.op === "rcall" ? ast.receiverWithArgs! : (ast.args[1] as ASTNode[])).map((arg) => ev.run(arg, ctx));
        (ctx.getValue(METER) as CostMeter | undefined)?.charge(cost(values));
        return ast.op === "rcall" ? ast.handle(values, ev, ast) : ast.handle(values, ast, ev);
      };
    }
  }
  const args: unknown = node.args;
  for (const child of Array.isArray(args) ? args.flat(2) : [args]) if (isNode(child)) meterCalls(child);
}

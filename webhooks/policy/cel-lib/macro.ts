// What the libraries' macros use of cel-js's macro hooks: a macro returns
// typeCheck and evaluate functions; variables are bound through the overlay
// contexts cel-js's own macros (cel.bind) use.
import type { ASTNode } from "@marcbachmann/cel-js";
import { celError } from "./value.ts";

export interface Evaluator {
  run(ast: ASTNode, ctx: unknown): unknown;
}

export interface Checker {
  check(ast: ASTNode, ctx: unknown): unknown;
  getType(name: string): unknown;
  /** A type error at the node, which check() reports as the expression's compile error. */
  createError(code: string, message: string, node: ASTNode): Error;
}

export interface Overlay {
  forkWithVariable(name: string, type: unknown): Overlay;
  reuse(parent: unknown): Overlay;
  setIterValue(value: unknown, ev: Evaluator): Overlay;
}

export interface MacroCall {
  readonly args: ASTNode[];
  readonly receiver: ASTNode;
}

export function variableName(node: ASTNode, macro: string): string {
  if (node.op !== "id") throw celError(`${macro}() variable name must be a simple identifier`);
  return node.args;
}

/**
 * `receiver.name(v, expr)`: `run` gets the receiver's value and a function that
 * evaluates expr with v bound to a value.
 */
export function bindingMacro(name: string, resultType: string, run: (receiver: unknown, withValue: (value: unknown) => unknown) => unknown) {
  return ({ args, receiver }: MacroCall) => {
    const variable = variableName(args[0]!, name);
    const body = args[1]!;
    let bound: Overlay | undefined;
    return {
      typeCheck(checker: Checker, _macro: unknown, ctx: Overlay) {
        checker.check(receiver, ctx);
        bound = ctx.forkWithVariable(variable, checker.getType("dyn"));
        checker.check(body, bound);
        return checker.getType(resultType);
      },
      evaluate(ev: Evaluator, _macro: unknown, ctx: unknown) {
        return run(ev.run(receiver, ctx), (value) => ev.run(body, bound!.reuse(ctx).setIterValue(value, ev)));
      },
    };
  };
}

// POST <urlPrefix>/{filter,prioritize,bind,preempt}: validate the args (400
// naming the field), run the verb, count and log one line per call.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { ExtenderMetrics } from "./metrics.ts";
import { bind, filter, preempt, prioritize, type ExtenderDeps, type Outcome } from "./verbs.ts";
import { extenderArgs, extenderBindingArgs, extenderPreemptionArgs, parseWire, WireError, type ExtenderArgs } from "./wire.ts";

export type Verb = "filter" | "prioritize" | "bind" | "preempt";

export interface RouteContext {
  readonly urlPrefix: string;
  readonly verbs: readonly Verb[];
  /** Filled when the extension starts, before the server listens. */
  readonly deps: () => ExtenderDeps;
  readonly metrics: () => ExtenderMetrics;
}

const podOf = (args: { Pod: ExtenderArgs["Pod"] }) => `${args.Pod.metadata.namespace ?? "default"}/${args.Pod.metadata.name ?? `${args.Pod.metadata.generateName ?? ""}*`}`;

interface VerbSpec<S extends z.ZodType> {
  readonly schema: S;
  readonly run: (deps: ExtenderDeps, args: z.output<S>) => { result: unknown; outcome: Outcome } | Promise<{ result: unknown; outcome: Outcome }>;
  readonly pod: (args: z.output<S>) => string;
  /** How an unexpected failure is reported: in the reply's Error field, or as HTTP 500. */
  readonly errorReply?: (message: string) => unknown;
}

const spec = <S extends z.ZodType>(s: VerbSpec<S>) => s as unknown as VerbSpec<z.ZodType>;

const SPECS: Record<Verb, VerbSpec<z.ZodType>> = {
  filter: spec({ schema: extenderArgs, run: filter, pod: podOf, errorReply: (Error) => ({ FailedNodes: {}, FailedAndUnresolvableNodes: {}, Error }) }),
  prioritize: spec({ schema: extenderArgs, run: prioritize, pod: podOf }),
  bind: spec({ schema: extenderBindingArgs, run: bind, pod: (a) => `${a.PodNamespace}/${a.PodName}`, errorReply: (Error) => ({ Error }) }),
  preempt: spec({ schema: extenderPreemptionArgs, run: preempt, pod: podOf }),
};

const round = (ms: number) => Math.round(ms * 100) / 100;

export function extenderRoutes(context: RouteContext): FastifyPluginAsync {
  return (app) => {
    for (const verb of context.verbs) {
      const { schema, run, pod, errorReply } = SPECS[verb];
      app.post(`${context.urlPrefix}/${verb}`, async (request: FastifyRequest, reply: FastifyReply) => {
        const started = performance.now();
        const metrics = context.metrics();
        const bytes = Number(request.headers["content-length"] ?? 0);
        metrics.payload.observe({ verb }, bytes);
        const observe = (outcome: string) => metrics.duration.observe({ verb, outcome }, (performance.now() - started) / 1000);
        const parsed = parseWire(schema, request.body);
        const badRequest = (field: string, message: string) => {
          observe("bad_request");
          request.log.warn({ verb, field, bytes }, `bad extender args: ${message}`);
          return reply.code(400).send({ statusCode: 400, error: "Bad Request", message: `not a valid ${verb} request: ${message}`, field });
        };
        if (!parsed.ok) return badRequest(parsed.field, parsed.message);
        let result: unknown;
        let outcome: Outcome;
        try {
          ({ result, outcome } = await run(context.deps(), parsed.value));
        } catch (error) {
          if (error instanceof WireError) return badRequest(error.field, error.message);
          observe("error");
          const message = `podgate ${verb} failed: ${(error as Error).message}`;
          request.log.error({ err: error, verb, pod: pod(parsed.value) }, message);
          if (errorReply) return reply.code(200).send(errorReply(message));
          throw error;
        }
        observe(outcome.error ? "error" : "ok");
        metrics.nodesIn.inc({ verb }, outcome.nodesIn);
        metrics.nodesPassed.inc({ verb }, outcome.nodesPassed);
        request.log.info(
          { verb, pod: pod(parsed.value), nodesIn: outcome.nodesIn, nodesPassed: outcome.nodesPassed, ...(outcome.error ? { error: outcome.error } : {}), bytes, durationMs: round(performance.now() - started) },
          "extender call",
        );
        return reply.code(200).send(result);
      });
    }
    return Promise.resolve();
  };
}

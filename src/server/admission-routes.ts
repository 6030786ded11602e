// The admission routes, as Fastify routes like every other: POST /mutate and
// /validate run every enabled webhook of their kind, /mutate/<name>... and
// /validate/<name>... the named ones in that order (/mutate/sidecar/defaults:
// one call from the apiserver for both; a path segment per name, as the
// apiserver wants each segment of a Service path to be a DNS name). The app's layer has already done the rest (503 while
// closing, the client certificate, 415, 413, parsing the JSON); here the body
// is read as an AdmissionReview, the webhooks run, one line is logged per
// review, and the AdmissionReview reply is written.
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AdmissionHandler } from "../admission/handler.ts";
import { ADMISSION_API_VERSION, parseAdmissionReview, type AdmissionRequest, type AdmissionResponse, type KubeObject } from "../admission/review.ts";
import { runMutating, runValidating, type Known, type RunResult } from "../admission/run.ts";
import type { Metrics } from "./metrics.ts";
import type { ServedConfig, Webhooks } from "./served-config.ts";

export interface AdmissionRoutesOptions {
  /** The webhooks, read once per request: a reload swaps them between requests. */
  readonly served: ServedConfig<Webhooks>;
  readonly metrics: Metrics;
  /** The watched Namespace of that name, when the server watches Namespaces. */
  readonly namespaceOf?: ((name: string) => KubeObject | undefined) | undefined;
}

function objectName(request: AdmissionRequest): string {
  if (request.name) return request.name;
  const metadata = request.object?.["metadata"] as { generateName?: string } | undefined;
  return metadata?.generateName ? `${metadata.generateName}*` : "";
}

/** podgate's own failure, answered as a denial with the review's uid, as the apiserver needs a reply it can read. */
const failedResponse = (uid: string, error: unknown): AdmissionResponse => ({
  uid,
  allowed: false,
  status: { code: 500, message: `podgate failed: ${(error as Error).message}`, reason: "InternalError" },
});

const reviewText = (response: AdmissionResponse) => JSON.stringify({ apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response });

function logReview(log: FastifyBaseLogger, admission: AdmissionRequest, route: string, result: RunResult, durationMs: number): void {
  const decision = result.response;
  log.info(
    {
      uid: admission.uid,
      kind: admission.kind.kind,
      subResource: admission.subResource,
      namespace: admission.namespace,
      name: objectName(admission),
      operation: admission.operation,
      dryRun: admission.dryRun === true,
      route,
      decision: !decision.allowed ? "denied" : decision.patch ? "patched" : "allowed",
      webhooks: result.results.map((r) => `${r.webhook}=${r.outcome}${r.error ? `(${r.error})` : ""}`).join(","),
      durationMs: Math.round(durationMs * 100) / 100,
      // Why a webhook skipped or changed something (e.g. a bad annotation value) is in these.
      ...(decision.warnings ? { warnings: decision.warnings } : {}),
      ...(decision.auditAnnotations ? { auditAnnotations: decision.auditAnnotations } : {}),
    },
    "admission review",
  );
}

export function registerAdmissionRoutes(app: FastifyInstance, options: AdmissionRoutesOptions): void {
  const { metrics, namespaceOf, served } = options;
  const knownOf = (admission: AdmissionRequest): Known =>
    namespaceOf === undefined ? {} : { namespaceObject: admission.namespace ? namespaceOf(admission.namespace) : null };

  const refuse = (request: FastifyRequest, reply: FastifyReply, statusCode: number, message: string, extra: { field?: string; uid?: string } = {}) => {
    metrics.rejectedRequests.inc({ route: request.routeOptions.url ?? request.url, status: String(statusCode) });
    request.log.warn({ route: request.routeOptions.url, url: request.url, status: statusCode, ...extra }, message);
    return reply.code(statusCode).send({ statusCode, error: statusCode === 404 ? "Not Found" : "Bad Request", message, ...extra });
  };

  const review = async (request: FastifyRequest, reply: FastifyReply, handlers: readonly AdmissionHandler[], run: typeof runMutating, logRoute: string) => {
    const started = performance.now();
    const parsed = parseAdmissionReview(request.body);
    if (!parsed.ok) {
      return refuse(request, reply, 400, `not an AdmissionReview ${ADMISSION_API_VERSION}: ${parsed.message}`, { field: parsed.field, ...(parsed.uid ? { uid: parsed.uid } : {}) });
    }
    const admission = parsed.review.request;
    let result: RunResult;
    try {
      result = await run(handlers, admission, knownOf(admission));
    } catch (error) {
      // The runners catch handler failures; this is podgate's own fault. Fail closed, uid intact.
      request.log.error({ err: error, uid: admission.uid, route: logRoute }, "admission run failed");
      result = { response: failedResponse(admission.uid, error), results: [] };
    }
    for (const r of result.results) metrics.recordDecision(r.webhook, admission.operation, r.outcome, r.durationMs / 1000);
    logReview(request.log, admission, logRoute, result, performance.now() - started);
    let text: string;
    try {
      text = reviewText(result.response);
    } catch (error) {
      // A reply that cannot be serialized is podgate's fault: deny, with the uid.
      request.log.error({ err: error, uid: admission.uid, route: logRoute }, "admission reply failed");
      text = reviewText(failedResponse(admission.uid, error));
    }
    return reply.type("application/json; charset=utf-8").send(text);
  };

  for (const [kind, noun, run] of [
    ["mutate", "mutating", runMutating],
    ["validate", "validating", runValidating],
  ] as const) {
    app.post(`/${kind}`, (request, reply) => served.use((generation) => review(request, reply, generation.config[noun], run, `/${kind}`)));
    app.post<{ Params: { "*": string } }>(`/${kind}/*`, (request, reply) =>
      served.use(async (generation) => {
        const byName = generation[noun];
        const names = request.params["*"].split("/");
        const unknown = names.filter((name) => !byName.has(name));
        if (unknown.length > 0) {
          const known = [...byName.keys()].join(", ") || "(none enabled)";
          return refuse(request, reply, 404, `no ${noun} webhook ${unknown.map((name) => `"${name}"`).join(", ")}; enabled: ${known}`);
        }
        const twice = names.filter((name, i) => names.indexOf(name) !== i);
        if (twice.length > 0) return refuse(request, reply, 404, `${noun} webhook "${twice[0]}" is named twice in /${kind}/${names.join("/")}`);
        return review(request, reply, names.map((name) => byName.get(name)!), run, `/${kind}/${names.join("/")}`);
      }),
    );
  }
}

// The Fastify HTTPS app: admission routes, health, client-certificate gate,
// and error replies that always name the problem. Extra routes (the
// scheduler extender) are registered as Fastify plugins.
import type { TLSSocket } from "node:tls";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from "fastify";
import type { AdmissionHandler } from "../admission/handler.ts";
import { ADMISSION_API_VERSION, parseAdmissionReview, uidOf, type AdmissionRequest, type AdmissionResponse } from "../admission/review.ts";
import { runMutating, runValidating, type RunResult } from "../admission/run.ts";
import type { ServerConfig } from "../config/schema.ts";
import { parseJsonBody } from "./json-body.ts";
import { serverLogger } from "./logger.ts";
import { dropSilentConnections } from "./silent-connections.ts";
import type { Metrics } from "./metrics.ts";
import type { Readiness } from "./readiness.ts";
import type { TlsMaterial } from "./tls.ts";

export interface AppOptions {
  readonly server: ServerConfig;
  readonly tls: TlsMaterial;
  /** PEM of the CA that client certificates must chain to. */
  readonly clientCA?: string;
  readonly mutating: readonly AdmissionHandler[];
  readonly validating: readonly AdmissionHandler[];
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  readonly plugins?: readonly FastifyPluginAsync[];
  readonly logger?: FastifyBaseLogger | boolean;
}

/** The route label of a request that matched no route: its URL would give the metric one series per URL sent. */
const UNMATCHED = "(unmatched)";

/** Routes that decide something require the client certificate when one is configured; probes do not. */
const GUARDED = /^\/(mutate|validate|extender)(\/|$|\?)/;

function objectName(request: AdmissionRequest): string {
  if (request.name) return request.name;
  const metadata = request.object?.["metadata"] as { generateName?: string } | undefined;
  return metadata?.generateName ? `${metadata.generateName}*` : "";
}

function reviewReply(response: AdmissionResponse) {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { server, metrics } = options;
  const buffered = options.logger === undefined ? serverLogger(server.logLevel) : undefined;
  const app = Fastify({
    ...(buffered ? { loggerInstance: buffered.logger } : { logger: options.logger }),
    // One line per review is logged by the route itself, with the uid.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.bodyLimitBytes,
    requestTimeout: server.requestTimeoutSeconds * 1000,
    keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
    http2: false,
    https: {
      cert: options.tls.cert,
      key: options.tls.key,
      minVersion: "TLSv1.2",
      // Slow clients: a socket that never finishes its handshake is dropped as one that never sends headers
      // (Node's default waits 120 s), and the header/request deadlines are checked every second, not every 30 s.
      handshakeTimeout: server.headersTimeoutSeconds * 1000,
      connectionsCheckingInterval: 1000,
      // Ask for a certificate but decide per route, so kubelet probes without one still work.
      ...(options.clientCA ? { ca: options.clientCA, requestCert: true, rejectUnauthorized: false } : {}),
    },
    return503OnClosing: true,
  });
  if (buffered) app.addHook("onClose", (_instance, done) => {
    buffered.close();
    done();
  });
  app.server.headersTimeout = server.headersTimeoutSeconds * 1000;
  dropSilentConnections(app.server, server.keepAliveTimeoutSeconds * 1000);
  // Only JSON is an AdmissionReview or extender call: anything else is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  if (options.clientCA) {
    app.addHook("onRequest", async (request, reply) => {
      if (!GUARDED.test(request.url)) return;
      const socket = request.raw.socket as TLSSocket;
      if (socket.authorized) return;
      const reason = socket.getPeerCertificate()?.subject ? `client certificate rejected: ${String(socket.authorizationError)}` : "client certificate required";
      metrics.rejectedRequests.inc({ route: request.routeOptions.url ?? UNMATCHED, status: "401" });
      return reply.code(401).send({ statusCode: 401, error: "Unauthorized", message: reason });
    });
  }

  // Fastify's own errors (bad JSON, too large, wrong media type) keep their status; the reply names the problem.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; uid?: string }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    metrics.rejectedRequests.inc({ route: request.routeOptions.url ?? UNMATCHED, status: String(statusCode) });
    if (statusCode >= 500) request.log.error({ err: error }, "request failed");
    else request.log.warn({ code: error.code, url: request.url, status: statusCode }, error.message);
    // A body refused while parsing is not request.body, but its uid may still be known.
    const uid = uidOf(request.body) ?? error.uid;
    return reply.code(statusCode).send({
      statusCode,
      error: statusCode === 413 ? "Payload Too Large" : statusCode === 415 ? "Unsupported Media Type" : statusCode >= 500 ? "Internal Server Error" : "Bad Request",
      message: error.message,
      ...(error.code ? { code: error.code } : {}),
      ...(uid ? { uid } : {}),
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ statusCode: 404, error: "Not Found", message: `no route ${request.method} ${request.url}` }),
  );

  app.get("/healthz", (_request, reply) => reply.send("ok"));
  app.get("/readyz", (_request, reply) => {
    const failures = options.readiness.failures();
    if (failures.length === 0) return reply.send("ok");
    return reply.code(503).send(`not ready:\n${failures.join("\n")}\n`);
  });

  const review = (route: string, run: (request: AdmissionRequest) => Promise<RunResult>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const started = performance.now();
      const parsed = parseAdmissionReview(request.body);
      if (!parsed.ok) {
        metrics.rejectedRequests.inc({ route, status: "400" });
        request.log.warn({ route, uid: parsed.uid, field: parsed.field }, `bad admission review: ${parsed.message}`);
        return reply.code(400).send({
          statusCode: 400,
          error: "Bad Request",
          message: `not an AdmissionReview ${ADMISSION_API_VERSION}: ${parsed.message}`,
          field: parsed.field,
          ...(parsed.uid ? { uid: parsed.uid } : {}),
        });
      }
      const admission = parsed.review.request;
      let result: RunResult;
      try {
        result = await run(admission);
      } catch (error) {
        // The runners catch handler failures; this is podgate's own fault. Fail closed, uid intact.
        request.log.error({ err: error, uid: admission.uid, route }, "admission run failed");
        result = {
          response: { uid: admission.uid, allowed: false, status: { code: 500, message: `podgate failed: ${(error as Error).message}`, reason: "InternalError" } },
          results: [],
        };
      }
      const durationMs = performance.now() - started;
      for (const r of result.results) metrics.recordDecision(r.webhook, admission.operation, r.outcome, r.durationMs / 1000);
      const response = result.response;
      request.log.info(
        {
          uid: admission.uid,
          kind: admission.kind.kind,
          subResource: admission.subResource,
          namespace: admission.namespace,
          name: objectName(admission),
          operation: admission.operation,
          dryRun: admission.dryRun === true,
          route,
          decision: !response.allowed ? "denied" : response.patch ? "patched" : "allowed",
          webhooks: result.results.map((r) => `${r.webhook}=${r.outcome}${r.error ? `(${r.error})` : ""}`).join(","),
          durationMs: Math.round(durationMs * 100) / 100,
          // Why a webhook skipped or changed something (e.g. a bad annotation value) is in these.
          ...(response.warnings ? { warnings: response.warnings } : {}),
          ...(response.auditAnnotations ? { auditAnnotations: response.auditAnnotations } : {}),
        },
        "admission review",
      );
      return reply.code(200).send(reviewReply(response));
    };

  const byName = (handlers: readonly AdmissionHandler[]) => new Map(handlers.map((h) => [h.name, h]));
  const mutators = byName(options.mutating);
  const validators = byName(options.validating);
  const one = (kind: string, handlers: Map<string, AdmissionHandler>, run: typeof runMutating) =>
    async (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => {
      const handler = handlers.get(request.params.name);
      if (!handler) {
        const known = [...handlers.keys()].join(", ") || "(none enabled)";
        return reply.code(404).send({ statusCode: 404, error: "Not Found", message: `no ${kind} webhook "${request.params.name}"; enabled: ${known}` });
      }
      return review(`/${kind === "mutating" ? "mutate" : "validate"}/${handler.name}`, (r) => run([handler], r))(request, reply);
    };

  app.post("/mutate", review("/mutate", (r) => runMutating(options.mutating, r)));
  app.post("/validate", review("/validate", (r) => runValidating(options.validating, r)));
  app.post("/mutate/:name", one("mutating", mutators, runMutating));
  app.post("/validate/:name", one("validating", validators, runValidating));

  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}

// The HTTPS app, one Fastify layer for every route: 503 while closing, the
// client certificate (required on every route not registered as a probe),
// 415 and 413, JSON parsing, error replies that name the problem, and the
// rejected-requests metric. The admission routes (admission-routes.ts),
// the probes, and extra routes (the scheduler extender, as plugins) sit on it.
import { createServer, type Server as HttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from "fastify";
import { uidOf } from "../admission/review.ts";
import { registerAdmissionRoutes, type AdmissionRoutesOptions } from "./admission-routes.ts";
import type { ServerConfig } from "../config/schema.ts";
import { parseJsonBody } from "./json-body.ts";
import { serverLogger } from "./logger.ts";
import { dropSilentConnections } from "./silent-connections.ts";
import type { Metrics } from "./metrics.ts";
import type { Readiness } from "./readiness.ts";
import type { ServedConfig, Webhooks } from "./served-config.ts";
import type { TlsMaterial } from "./tls.ts";

export interface AppOptions {
  readonly server: ServerConfig;
  readonly tls: TlsMaterial;
  /** PEM of the CA that client certificates must chain to. */
  readonly clientCA?: string;
  /** The webhooks, swapped whole by a config reload. */
  readonly served: ServedConfig<Webhooks>;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  readonly plugins?: readonly FastifyPluginAsync[];
  readonly logger?: FastifyBaseLogger | boolean;
  readonly namespaceOf?: AdmissionRoutesOptions["namespaceOf"];
}

/** The route label of a request that matched no route: its URL would give the metric one series per URL sent. */
const UNMATCHED = "(unmatched)";

declare module "fastify" {
  interface FastifyContextConfig {
    /** A kubelet probe: answered without a client certificate. Every other route requires one when a client CA is configured. */
    probe?: boolean;
  }
}

/** Why the connection's client certificate does not pass, or undefined when it does. */
function clientCertificateProblem(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  return socket.getPeerCertificate()?.subject ? `client certificate rejected: ${String(socket.authorizationError)}` : "client certificate required";
}

/** Fastify's messages for the refusals it makes itself, said as podgate says the others: what was wrong and what is expected. */
function refusalMessage(error: Error & { code?: string }, request: FastifyRequest, limit: number): string {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return `request body is too large: the limit is ${limit} bytes`;
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return `unsupported media type ${request.headers["content-type"] ?? "(none)"}: podgate's routes take application/json`;
  return error.message;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { server, metrics } = options;
  const buffered = options.logger === undefined ? serverLogger(server.logLevel) : undefined;
  let tlsServer!: HttpsServer;
  const app = Fastify({
    ...(buffered ? { loggerInstance: buffered.logger } : { logger: options.logger }),
    // One line per review is logged by the route itself, with the uid.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: server.bodyLimitBytes,
    serverFactory: (fastifyHandler) => {
      tlsServer = createServer(
        {
          cert: options.tls.cert,
          key: options.tls.key,
          minVersion: "TLSv1.2",
          // Slow clients: a socket that never finishes its handshake is dropped as one that never sends headers
          // (Node's default waits 120 s), and the header/request deadlines are checked every second, not every 30 s.
          handshakeTimeout: server.headersTimeoutSeconds * 1000,
          connectionsCheckingInterval: 1000,
          requestTimeout: server.requestTimeoutSeconds * 1000,
          headersTimeout: server.headersTimeoutSeconds * 1000,
          keepAliveTimeout: server.keepAliveTimeoutSeconds * 1000,
          // Ask for a certificate but decide per route, so kubelet probes without one still work.
          ...(options.clientCA ? { ca: options.clientCA, requestCert: true, rejectUnauthorized: false } : {}),
        },
        fastifyHandler,
      );
      return tlsServer;
    },
    // The server is made above; this only tells Fastify its addresses are https://.
    https: {},
    // Answered by the hook below, which names the reason and counts the request.
    return503OnClosing: false,
  });
  let closing = false;
  app.addHook("preClose", (done) => {
    closing = true;
    done();
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!closing) return;
    metrics.rejectedRequests.inc({ route: request.routeOptions.url ?? UNMATCHED, status: "503" });
    return reply.code(503).header("connection", "close").send({ statusCode: 503, error: "Service Unavailable", message: "podgate is shutting down" });
  });
  if (buffered) app.addHook("onClose", (_instance, done) => {
    buffered.close();
    done();
  });
  dropSilentConnections(tlsServer, server.keepAliveTimeoutSeconds * 1000);
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
    // Guarded where each route is registered (this hook sees every later route, the extender's under any
    // urlPrefix included), not by its URL: only a route that says it is a probe is left open.
    const requireCertificate = async (request: FastifyRequest, reply: FastifyReply) => {
      const reason = clientCertificateProblem(request.raw.socket as TLSSocket);
      if (!reason) return;
      metrics.rejectedRequests.inc({ route: request.routeOptions.url ?? UNMATCHED, status: "401" });
      return reply.code(401).send({ statusCode: 401, error: "Unauthorized", message: reason });
    };
    app.addHook("onRoute", (route) => {
      if (route.config?.probe === true) return;
      route.onRequest = [requireCertificate, ...(route.onRequest === undefined ? [] : [route.onRequest].flat())];
    });
  }

  // Fastify's own errors (bad JSON, too large, wrong media type) keep their status; the reply names the problem.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string; uid?: string }, request, reply) => {
    const statusCode = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
    const message = refusalMessage(error, request, server.bodyLimitBytes);
    metrics.rejectedRequests.inc({ route: request.routeOptions.url ?? UNMATCHED, status: String(statusCode) });
    if (statusCode >= 500) request.log.error({ err: error }, "request failed");
    else request.log.warn({ code: error.code, url: request.url, status: statusCode }, message);
    // A body refused while parsing is not request.body, but its uid may still be known.
    const uid = uidOf(request.body) ?? error.uid;
    // A body refused before it was read in full is still on the connection: close it.
    if (statusCode === 413 || statusCode === 415) reply.header("connection", "close");
    return reply.code(statusCode).send({
      statusCode,
      error: statusCode === 413 ? "Payload Too Large" : statusCode === 415 ? "Unsupported Media Type" : statusCode >= 500 ? "Internal Server Error" : "Bad Request",
      message,
      ...(error.code ? { code: error.code } : {}),
      ...(uid ? { uid } : {}),
    });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ statusCode: 404, error: "Not Found", message: `no route ${request.method} ${request.url}` }),
  );

  app.get("/healthz", { config: { probe: true } }, (_request, reply) => reply.send("ok"));
  app.get("/readyz", { config: { probe: true } }, (_request, reply) => {
    const failures = options.readiness.failures();
    const notes = options.readiness.messages().map((message) => `${message}\n`).join("");
    if (failures.length === 0) return reply.send(notes ? `ok\n${notes}` : "ok");
    return reply.code(503).send(`not ready:\n${failures.join("\n")}\n${notes}`);
  });

  registerAdmissionRoutes(app, { served: options.served, metrics, namespaceOf: options.namespaceOf });

  for (const plugin of options.plugins ?? []) await app.register(plugin);
  return app;
}

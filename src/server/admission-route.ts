// The admission routes (POST /mutate, /validate and /{mutate,validate}/<name>),
// served straight from node:https rather than through Fastify's request and
// reply: on the 8.6 KB bench review Fastify's per-request machinery cost more
// than every mutating webhook together (docs/benchmarks.md). Everything else
// (probes, the extender, 404s, other methods) still goes to Fastify.
// Replies keep the shapes Fastify's error handler gave: a JSON body naming
// the problem, the uid when known, the status counted in the metrics.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { FastifyBaseLogger } from "fastify";
import type { AdmissionHandler } from "../admission/handler.ts";
import { ADMISSION_API_VERSION, parseAdmissionReview, type AdmissionRequest, type KubeObject } from "../admission/review.ts";
import { runMutating, runValidating, type Known, type RunResult } from "../admission/run.ts";
import { BodyError, parseJsonBody } from "./json-body.ts";
import type { Metrics } from "./metrics.ts";

export interface AdmissionRouteOptions {
  readonly mutating: readonly AdmissionHandler[];
  readonly validating: readonly AdmissionHandler[];
  readonly bodyLimitBytes: number;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  /** Require an authorized client certificate (the server asks for one when a client CA is configured). */
  readonly requireClientCertificate: boolean;
  /** True once the server is closing: new requests get 503 and the connection is closed, as Fastify does. */
  isClosing(): boolean;
  /** The watched Namespace of that name, when the server watches Namespaces. */
  readonly namespaceOf?: ((name: string) => KubeObject | undefined) | undefined;
}

/** Handles the request and returns true when it is an admission POST; false leaves it to the caller. */
export type AdmissionRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

/** An admission path, with or without a webhook name; the apiserver appends ?timeout=10s. */
const ADMISSION_PATH = /^\/(mutate|validate)(?:\/([^/?#]+))?(?:\?|$)/;

interface Target {
  /** The route as metrics label it ("/mutate/:name" for every name, so labels stay bounded). */
  readonly route: string;
  /** The route as the log names it. */
  readonly logRoute: string;
  readonly run: (request: AdmissionRequest, known: Known) => Promise<RunResult>;
}

interface Refusal {
  readonly statusCode: number;
  readonly message: string;
  readonly code?: string;
  readonly uid?: string;
  readonly field?: string;
}

function objectName(request: AdmissionRequest): string {
  if (request.name) return request.name;
  const metadata = request.object?.["metadata"] as { generateName?: string } | undefined;
  return metadata?.generateName ? `${metadata.generateName}*` : "";
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown, close = false): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...(close ? { connection: "close" } : {}),
  });
  response.end(text);
}

interface KindTargets {
  /** "mutating" or "validating", for messages. */
  readonly noun: string;
  readonly combined: Target;
  readonly named: ReadonlyMap<string, Target>;
}

function targetsFor(kind: string, noun: string, handlers: readonly AdmissionHandler[], run: typeof runMutating): KindTargets {
  return {
    noun,
    combined: { route: `/${kind}`, logRoute: `/${kind}`, run: (r, known) => run(handlers, r, known) },
    named: new Map(handlers.map((h) => [h.name, { route: `/${kind}/:name`, logRoute: `/${kind}/${h.name}`, run: (r: AdmissionRequest, known: Known) => run([h], r, known) }])),
  };
}

/** Why the connection's client certificate does not pass, or undefined when it does. */
export function clientCertificateProblem(socket: TLSSocket): string | undefined {
  if (socket.authorized) return undefined;
  return socket.getPeerCertificate()?.subject ? `client certificate rejected: ${String(socket.authorizationError)}` : "client certificate required";
}

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase() === "application/json";
}

export function admissionRoute(options: AdmissionRouteOptions): AdmissionRoute {
  const { metrics, log } = options;
  // Every route's target, made once: the combined one and one per enabled webhook.
  const targets = {
    mutate: targetsFor("mutate", "mutating", options.mutating, runMutating),
    validate: targetsFor("validate", "validating", options.validating, runValidating),
  };
  let nextId = 0;
  const { namespaceOf } = options;
  const knownOf = (admission: AdmissionRequest): Known =>
    namespaceOf === undefined ? {} : { namespaceObject: admission.namespace ? namespaceOf(admission.namespace) : null };

  const refuse = (response: ServerResponse, request: IncomingMessage, route: string, reqId: string, refusal: Refusal, close = false) => {
    const { statusCode, message, code, uid, field } = refusal;
    metrics.rejectedRequests.inc({ route, status: String(statusCode) });
    if (statusCode >= 500) log.error({ reqId, url: request.url, status: statusCode }, message);
    else log.warn({ reqId, route, url: request.url, status: statusCode, ...(code ? { code } : {}), ...(field ? { field } : {}), ...(uid ? { uid } : {}) }, message);
    sendJson(
      response,
      statusCode,
      { statusCode, error: STATUS_CODES[statusCode] ?? "Internal Server Error", message, ...(code ? { code } : {}), ...(field ? { field } : {}), ...(uid ? { uid } : {}) },
      close,
    );
  };

  const review = async (text: string, target: Target, reqId: string, request: IncomingMessage, response: ServerResponse) => {
    const started = performance.now();
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      refuse(response, request, target.route, reqId, { statusCode: 400, message: error.message, code: error.code, ...(error.uid ? { uid: error.uid } : {}) });
      return;
    }
    const parsed = parseAdmissionReview(body);
    if (!parsed.ok) {
      refuse(response, request, target.route, reqId, {
        statusCode: 400,
        message: `not an AdmissionReview ${ADMISSION_API_VERSION}: ${parsed.message}`,
        field: parsed.field,
        ...(parsed.uid ? { uid: parsed.uid } : {}),
      });
      return;
    }
    const admission = parsed.review.request;
    let result: RunResult;
    try {
      result = await target.run(admission, knownOf(admission));
    } catch (error) {
      // The runners catch handler failures; this is podgate's own fault. Fail closed, uid intact.
      log.error({ reqId, err: error, uid: admission.uid, route: target.logRoute }, "admission run failed");
      result = {
        response: { uid: admission.uid, allowed: false, status: { code: 500, message: `podgate failed: ${(error as Error).message}`, reason: "InternalError" } },
        results: [],
      };
    }
    const durationMs = performance.now() - started;
    for (const r of result.results) metrics.recordDecision(r.webhook, admission.operation, r.outcome, r.durationMs / 1000);
    const decision = result.response;
    log.info(
      {
        reqId,
        uid: admission.uid,
        kind: admission.kind.kind,
        subResource: admission.subResource,
        namespace: admission.namespace,
        name: objectName(admission),
        operation: admission.operation,
        dryRun: admission.dryRun === true,
        route: target.logRoute,
        decision: !decision.allowed ? "denied" : decision.patch ? "patched" : "allowed",
        webhooks: result.results.map((r) => `${r.webhook}=${r.outcome}${r.error ? `(${r.error})` : ""}`).join(","),
        durationMs: Math.round(durationMs * 100) / 100,
        // Why a webhook skipped or changed something (e.g. a bad annotation value) is in these.
        ...(decision.warnings ? { warnings: decision.warnings } : {}),
        ...(decision.auditAnnotations ? { auditAnnotations: decision.auditAnnotations } : {}),
      },
      "admission review",
    );
    try {
      sendJson(response, 200, { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response: decision });
    } catch (error) {
      // A reply that cannot be serialized is podgate's fault: deny, with the uid.
      log.error({ reqId, err: error, uid: admission.uid, route: target.logRoute }, "admission reply failed");
      sendJson(response, 200, {
        apiVersion: ADMISSION_API_VERSION,
        kind: "AdmissionReview",
        response: { uid: admission.uid, allowed: false, status: { code: 500, message: `podgate failed: ${(error as Error).message}`, reason: "InternalError" } },
      });
    }
  };

  /** Reads the body up to the limit, then reviews it. */
  const receive = (target: Target, reqId: string, request: IncomingMessage, response: ServerResponse) => {
    const limit = options.bodyLimitBytes;
    const tooLarge = () =>
      refuse(response, request, target.route, reqId, { statusCode: 413, message: `request body is too large: the limit is ${limit} bytes`, code: "BODY_TOO_LARGE" }, true);
    const declared = Number(request.headers["content-length"]);
    if (declared > limit) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        request.off("data", onData).off("end", onEnd);
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
      review(text, target, reqId, request, response).catch((error: unknown) => {
        log.error({ reqId, err: error, route: target.logRoute }, "admission request failed");
        if (!response.headersSent) refuse(response, request, target.route, reqId, { statusCode: 500, message: `podgate failed: ${(error as Error).message}` });
        else response.destroy();
      });
    };
    request.on("data", onData).on("end", onEnd);
  };

  return (request, response) => {
    if (request.method !== "POST") return false;
    const match = ADMISSION_PATH.exec(request.url ?? "");
    if (!match) return false;
    const kind = match[1] as keyof typeof targets;
    const reqId = `adm-${(nextId++).toString(36)}`;
    let target: Target | undefined;
    let name: string | undefined;
    if (match[2] === undefined) target = targets[kind].combined;
    else {
      try {
        name = decodeURIComponent(match[2]);
      } catch {
        name = match[2];
      }
      target = targets[kind].named.get(name);
    }
    const route = target?.route ?? `/${kind}/:name`;
    if (options.isClosing()) {
      refuse(response, request, route, reqId, { statusCode: 503, message: "podgate is shutting down" }, true);
      return true;
    }
    if (options.requireClientCertificate) {
      const problem = clientCertificateProblem(request.socket as TLSSocket);
      if (problem) {
        refuse(response, request, route, reqId, { statusCode: 401, message: problem });
        return true;
      }
    }
    if (!target) {
      const known = [...targets[kind].named.keys()].join(", ") || "(none enabled)";
      refuse(response, request, route, reqId, { statusCode: 404, message: `no ${targets[kind].noun} webhook "${name}"; enabled: ${known}` });
      return true;
    }
    if (!isJson(request.headers["content-type"])) {
      const given = request.headers["content-type"] ?? "(none)";
      refuse(response, request, route, reqId, { statusCode: 415, message: `unsupported media type ${given}: an AdmissionReview is application/json`, code: "UNSUPPORTED_MEDIA_TYPE" }, true);
      return true;
    }
    receive(target, reqId, request, response);
    return true;
  };
}

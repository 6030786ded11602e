// The public way to make an admission webhook: a definition (settings schema,
// the schema the object is read with, a function) becomes a WebhookType that
// the config instantiates by `type:` or `module:`. The built-ins are made the
// same way; nothing registers through a private path.
import { DEFINITION, type DefinitionKind } from "./definition-kind.ts";
import { z } from "zod";
import { allow, deny, mutate as mutated, type AdmissionHandler, type Decision, type HandlerContext } from "../admission/handler.ts";
import { kubeObject, type AdmissionRequest, type KubeObject } from "../admission/review.ts";
import { describeIssue } from "../issues.ts";
import type { WebhookIdentity, WebhookType } from "../config/schema.ts";

/** What a webhook function gets for one request. */
export interface Review<T, S> extends HandlerContext {
  /** The object being admitted, read with the definition's `object` schema; null on DELETE. A mutating webhook may edit it in place. */
  readonly object: T | null;
  /** The stored object on UPDATE and DELETE (unchecked); null otherwise. */
  readonly oldObject: KubeObject | null;
  readonly request: AdmissionRequest;
  readonly settings: S;
}

/** A mutating webhook's answer: nothing (the object was edited in place), the edited object, or a decision (deny, warn...). */
export type MutateResult<T> = T | Decision | undefined | void;

/** A validating webhook's answer: nothing or an empty list allows; a message (or several) denies with 403; or a decision. */
export type ValidateResult = Decision | string | readonly string[] | undefined | null | void;

interface Definition<S extends z.ZodType, T extends z.ZodType> {
  /** The name a config's `type:` uses for this webhook once registered. A module's webhook needs none: its entry names the module. */
  readonly type?: string;
  readonly description?: string;
  /** Checks the entry's `settings:`; errors name the key path. Default: no settings allowed. */
  readonly settings?: S;
  /** The schema the object is read with (e.g. `pod`); an object that does not fit is denied with 400 naming the field. Default: any object. */
  readonly object?: T;
  /**
   * Declares that the webhook never edits the request's objects in place (it
   * returns edited copies), so the mutating chain can skip its defensive deep copy.
   */
  readonly leavesInputIntact?: boolean;
}

export interface MutatingWebhookDefinition<S extends z.ZodType, T extends z.ZodType> extends Definition<S, T> {
  /** Called per request. Or give `create`, called once per config entry, when the webhook prepares work from its settings. */
  readonly mutate?: (review: Review<z.output<T>, z.output<S>>) => MutateResult<z.output<T>> | Promise<MutateResult<z.output<T>>>;
  readonly create?: (settings: z.output<S>, identity: WebhookIdentity) => (review: Review<z.output<T>, z.output<S>>) => MutateResult<z.output<T>> | Promise<MutateResult<z.output<T>>>;
}

export interface ValidatingWebhookDefinition<S extends z.ZodType, T extends z.ZodType> extends Definition<S, T> {
  readonly validate?: (review: Review<z.output<T>, z.output<S>>) => ValidateResult | Promise<ValidateResult>;
  readonly create?: (settings: z.output<S>, identity: WebhookIdentity) => (review: Review<z.output<T>, z.output<S>>) => ValidateResult | Promise<ValidateResult>;
}

const noSettings = z.strictObject({});

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as { then?: unknown } | null)?.then === "function";

const isDecision = (value: unknown): value is Decision =>
  typeof value === "object" && value !== null && typeof (value as { allowed?: unknown }).allowed === "boolean" && !("metadata" in value);

/** Reads the object with the definition's schema; a misfit is the caller's error (400), as controller-runtime's decoder answers. */
function readObject(schema: z.ZodType | undefined, request: AdmissionRequest): { ok: true; object: unknown } | { ok: false; decision: Decision } {
  const raw = request.object ?? null;
  if (raw === null || schema === undefined) return { ok: true, object: raw };
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, object: parsed.data };
  const first = parsed.error.issues[0];
  return { ok: false, decision: deny(first ? describeIssue(first, "object").message : "object: does not fit the webhook's schema", 400, { reason: "BadRequest" }) };
}

/** Runs `step` on a value or a promise of it, staying synchronous when the answer is. */
const then = <A, B>(value: A | PromiseLike<A>, step: (a: A) => B): B | Promise<B> => (isThenable(value) ? Promise.resolve(value).then(step) : step(value));

function review<T, S>(object: T | null, request: AdmissionRequest, settings: S, context: HandlerContext): Review<T, S> {
  return {
    object,
    oldObject: request.oldObject ?? null,
    request,
    settings,
    get signal() {
      return context.signal;
    },
    dryRun: context.dryRun,
    ...(context.namespaceObject === undefined ? {} : { namespaceObject: context.namespaceObject }),
  };
}

/** The chain diffs what comes back against the object it sent, so an untouched object makes no patch. */
export function mutationDecision(result: unknown, object: unknown): Decision {
  if (isDecision(result)) return result;
  const edited = (result ?? object) as KubeObject | null;
  return edited === null ? allow() : mutated(edited);
}

export function validationDecision(result: unknown): Decision {
  if (isDecision(result)) return result;
  if (result === undefined || result === null) return allow();
  const messages = typeof result === "string" ? [result] : (result as readonly string[]);
  return messages.length === 0 ? allow() : deny(messages.join("; "));
}

function webhookType<S extends z.ZodType, T extends z.ZodType>(
  kind: "mutating" | "validating",
  definition: Definition<S, T> & { create?: (settings: z.output<S>, identity: WebhookIdentity) => (review: Review<z.output<T>, z.output<S>>) => unknown },
  perRequest: ((review: Review<z.output<T>, z.output<S>>) => unknown) | undefined,
  decide: (result: unknown, object: unknown) => Decision,
): WebhookType {
  if ((perRequest === undefined) === (definition.create === undefined)) {
    throw new TypeError(`a ${kind} webhook definition needs exactly one of ${kind === "mutating" ? "mutate" : "validate"}() and create()`);
  }
  const settings = (definition.settings ?? noSettings) as z.ZodType;
  const type: WebhookType & { [DEFINITION]: DefinitionKind } = {
    [DEFINITION]: kind === "mutating" ? "mutating-webhook" : "validating-webhook",
    type: definition.type ?? "",
    kind,
    description: definition.description ?? "",
    settings,
    create(identity, parsedSettings): AdmissionHandler {
      const run = perRequest ?? definition.create!(parsedSettings as z.output<S>, identity);
      return {
        name: identity.name,
        failurePolicy: identity.failurePolicy,
        timeoutSeconds: identity.timeoutSeconds,
        kind,
        ...(definition.leavesInputIntact ? { leavesInputIntact: true } : {}),
        handle(request, context) {
          const read = readObject(definition.object, request);
          if (!read.ok) return read.decision;
          const object = read.object as z.output<T> | null;
          return then(run(review(object, request, parsedSettings as z.output<S>, context)), (result) => decide(result, object));
        },
      };
    },
  };
  return type;
}

/**
 * A mutating webhook: edit `review.object` in place, or return an edited
 * copy, or a decision; podgate diffs the result into the JSON patch.
 */
export function defineMutatingWebhook<S extends z.ZodType = typeof noSettings, T extends z.ZodType = typeof kubeObject>(definition: MutatingWebhookDefinition<S, T>): WebhookType {
  return webhookType("mutating", definition, definition.mutate, mutationDecision);
}

/** A validating webhook: return nothing to allow, messages to deny, or a decision. */
export function defineValidatingWebhook<S extends z.ZodType = typeof noSettings, T extends z.ZodType = typeof kubeObject>(definition: ValidatingWebhookDefinition<S, T>): WebhookType {
  return webhookType("validating", definition, definition.validate, validationDecision);
}

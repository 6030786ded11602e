// Helpers for users' unit tests (`import … from "podgate/testing"`): build
// an AdmissionRequest, run a webhook, policy or plugin through the same code
// the server runs (the chain, failure policies, the patch diff, the plugin
// framework), and assert on the outcome. No server, no cluster.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { z } from "zod";
import type { FailurePolicy } from "./admission/handler.ts";
import { applyPatch, cloneObject, type PatchOperation } from "./admission/patch.ts";
import type { AdmissionRequest, AdmissionResponse, KubeObject, Operation } from "./admission/review.ts";
import { runMutating, runValidating } from "./admission/run.ts";
import type { WebhookType } from "./config/schema.ts";
import { zodProblems } from "./config/load.ts";
import { ModuleLoader } from "./toolkit/modules.ts";
import { podInfo, runFilters } from "../extender/framework.ts";
import { nodeInfo } from "../extender/nodeinfo.ts";
import type { FilterPlugin, PluginType, ScorePlugin } from "../extender/plugins/plugin.ts";
import { node as nodeSchema, pod as podSchema } from "../extender/wire.ts";
import { policyDecision } from "../webhooks/policy/webhook.ts";
import { loadPolicyFiles } from "../webhooks/policy/load.ts";
import { defineValidatingWebhook } from "./toolkit/define.ts";
import { typedPolicy, type TypedPolicy } from "../webhooks/policy/typescript-policy.ts";

export interface RequestOptions {
  readonly operation?: Operation;
  readonly oldObject?: KubeObject | null;
  /** Defaults to the object's metadata.namespace, else "default". */
  readonly namespace?: string;
  readonly dryRun?: boolean;
  readonly subResource?: string;
  readonly userInfo?: AdmissionRequest["userInfo"];
  /** Defaults to the lowercase plural of the object's kind (Pod -> pods). */
  readonly resource?: string;
  readonly uid?: string;
}

const groupVersion = (apiVersion: string) => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  return { group: group ?? "", version: version ?? "v1" };
};

/** An AdmissionRequest as kube-apiserver sends it for `object` (a CREATE unless told otherwise). */
export function admissionRequestFor(object: KubeObject | null, options: RequestOptions = {}): AdmissionRequest {
  const source = object ?? options.oldObject ?? {};
  const metadata = (source["metadata"] ?? {}) as { name?: string; namespace?: string };
  const kind = typeof source["kind"] === "string" ? source["kind"] : "Pod";
  const gv = groupVersion(typeof source["apiVersion"] === "string" ? source["apiVersion"] : "v1");
  const resource = { ...gv, resource: options.resource ?? `${kind.toLowerCase()}s` };
  const operation = options.operation ?? "CREATE";
  return {
    uid: options.uid ?? "00000000-0000-0000-0000-000000000000",
    kind: { ...gv, kind },
    resource,
    requestKind: { ...gv, kind },
    requestResource: resource,
    ...(options.subResource ? { subResource: options.subResource, requestSubResource: options.subResource } : {}),
    ...(metadata.name ? { name: metadata.name } : {}),
    namespace: options.namespace ?? metadata.namespace ?? "default",
    operation,
    userInfo: options.userInfo ?? { username: "tester", groups: ["system:authenticated"] },
    object: operation === "DELETE" ? null : cloneObject(object),
    oldObject: options.oldObject === undefined ? null : cloneObject(options.oldObject),
    dryRun: options.dryRun ?? false,
    options: null,
  };
}

/** What a webhook or policy answered, with the patch decoded and applied. */
export interface AdmissionResult {
  readonly allowed: boolean;
  readonly response: AdmissionResponse;
  /** The decoded JSON patch; empty when there is none. */
  readonly patch: readonly PatchOperation[];
  /** The request's object with the patch applied (the object as it would be stored). */
  readonly object: KubeObject | null;
  readonly warnings: readonly string[];
  /** The denial's message and code, when denied. */
  readonly message?: string;
  readonly code?: number;
}

export interface WebhookOptions {
  /** The entry's settings, checked by the webhook's schema as the config would. */
  readonly settings?: unknown;
  readonly name?: string;
  readonly failurePolicy?: FailurePolicy;
  readonly timeoutSeconds?: number;
  /** What paths in settings are read against, as the config file's directory would be; the working directory by default. */
  readonly baseDir?: string;
  /** The request's Namespace, as a server watching Namespaces (config `namespaces.watch`) hands it to webhooks. */
  readonly namespaceObject?: KubeObject | null;
}

function result(request: AdmissionRequest, response: AdmissionResponse): AdmissionResult {
  const patch = response.patch ? (JSON.parse(Buffer.from(response.patch, "base64").toString("utf8")) as PatchOperation[]) : [];
  const object = request.object && patch.length > 0 ? applyPatch(cloneObject(request.object), patch) : (request.object ?? null);
  return {
    allowed: response.allowed,
    response,
    patch,
    object,
    warnings: response.warnings ?? [],
    ...(response.status?.message !== undefined ? { message: response.status.message } : {}),
    ...(response.status?.code !== undefined ? { code: response.status.code } : {}),
  };
}

function settingsFor(schema: z.ZodType, settings: unknown): unknown {
  const parsed = schema.safeParse(settings ?? {});
  if (!parsed.success) throw new Error(`invalid settings:\n  ${zodProblems(parsed.error, "settings").join("\n  ")}`);
  return parsed.data;
}

/** Runs a webhook made with defineMutatingWebhook or defineValidatingWebhook on one request, as the server would. */
export async function runWebhook(webhook: WebhookType, request: AdmissionRequest, options: WebhookOptions = {}): Promise<AdmissionResult> {
  // The webhook lives for this one run: what its create() started (a policy worker) stops after it.
  const lifetime = new AbortController();
  try {
    const handler = webhook.create(
      {
        name: options.name ?? (webhook.type || "webhook"),
        failurePolicy: options.failurePolicy ?? "Fail",
        timeoutSeconds: options.timeoutSeconds ?? 10,
        baseDir: options.baseDir ?? process.cwd(),
        watchesNamespaces: options.namespaceObject !== undefined,
        modules: new ModuleLoader(),
        signal: lifetime.signal,
      },
      settingsFor(webhook.settings, options.settings),
    );
    const run = webhook.kind === "mutating" ? runMutating : runValidating;
    return result(request, (await run([handler], request, options.namespaceObject === undefined ? {} : { namespaceObject: options.namespaceObject })).response);
  } finally {
    lifetime.abort();
  }
}

/**
 * Evaluates a policy made with definePolicy, or the policies of a YAML file
 * (CEL) given by path, on one request, as the `policy` webhook would.
 */
export async function runPolicy<T, P>(
  policy: TypedPolicy<T, P> | string,
  request: AdmissionRequest,
  options: { readonly params?: Readonly<Record<string, unknown>>; readonly namespaceObject?: KubeObject | null } = {},
): Promise<AdmissionResult> {
  const overrides = options.params ? { params: options.params } : {};
  const policies = typeof policy === "string" ? loadPolicyFiles([resolve(policy)], () => overrides) : [typedPolicy(policy, "(test)", overrides)];
  const validate = ({ request, namespaceObject }: { request: AdmissionRequest; namespaceObject?: KubeObject | null }) => policyDecision(policies, request, namespaceObject);
  return runWebhook(defineValidatingWebhook({ validate }), request, { name: "policy", ...(options.namespaceObject === undefined ? {} : { namespaceObject: options.namespaceObject }) });
}

export interface PluginRun {
  /** Nodes that passed the plugin's filter, by name (all of them when it does not filter). */
  readonly passed: readonly string[];
  /** Rejected nodes and the reason the scheduler shows. */
  readonly failed: Readonly<Record<string, string>>;
  readonly unresolvable: Readonly<Record<string, string>>;
  /** The plugin's 0..MAX_NODE_SCORE scores after normalize, by node; empty when it does not score. */
  readonly scores: Readonly<Record<string, number>>;
}

/** Runs a plugin made with definePlugin over a pod and nodes, through the extender's framework. */
export function runPlugin(type: PluginType, input: { readonly pod: unknown; readonly nodes: readonly unknown[]; readonly settings?: unknown }): PluginRun {
  const plugin = type.create(settingsFor(type.settings, input.settings));
  const pod = podInfo(podSchema.parse(input.pod));
  const nodes = input.nodes.map((n) => nodeInfo(nodeSchema.parse(n)));
  const filters = plugin.filter ? [{ name: type.name, plugin: plugin as FilterPlugin }] : [];
  const outcome = runFilters({ filters, scorers: [] }, pod, nodes);
  const scores: Record<string, number> = {};
  if (plugin.score) {
    const scorer = plugin as ScorePlugin;
    const state = new Map<string, unknown>();
    scorer.preScore?.(pod, nodes, state);
    const raw = nodes.map((n) => scorer.score(pod, n, state));
    scorer.normalize?.(raw, state);
    nodes.forEach((n, i) => (scores[n.name] = raw[i] ?? 0));
  }
  return { passed: outcome.passed.map((n) => n.name), failed: outcome.failed, unresolvable: outcome.unresolvable, scores };
}

/** Fails unless the request was allowed. */
export function assertAllowed(result: AdmissionResult): void {
  assert.equal(result.allowed, true, `expected allowed, got denied: ${result.message ?? ""}`);
}

/** Fails unless the request was denied, with a message matching `message` when given. */
export function assertDenied(result: AdmissionResult, message?: string | RegExp): void {
  assert.equal(result.allowed, false, "expected a denial, got allowed");
  if (typeof message === "string") assert.ok(result.message?.includes(message), `expected a denial saying "${message}", got: ${result.message ?? ""}`);
  else if (message) assert.match(result.message ?? "", message);
}

/** Fails unless the webhook's patch is exactly `operations`. */
export function assertPatch(result: AdmissionResult, operations: readonly PatchOperation[]): void {
  assertAllowed(result);
  assert.deepEqual(result.patch, operations);
}

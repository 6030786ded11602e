// The config file's schema. Webhook settings and extra sections (the extender)
// are validated by schemas their own modules provide, registered at wiring.
import { z } from "zod";
import type { AdmissionHandler, FailurePolicy, WebhookKind } from "../admission/handler.ts";
import type { ModuleLoader } from "../toolkit/modules.ts";

const MiB = 1024 * 1024;

export const serverConfig = z.strictObject({
  host: z.string().min(1).default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8443),
  /** tls.crt + tls.key; generated with a local CA (ca.crt) when absent. */
  tlsDir: z.string().min(1).default(".podgate/tls"),
  /** Names for a generated certificate. */
  tlsHosts: z.array(z.string().min(1)).min(1).default(["localhost", "127.0.0.1", "::1"]),
  /** When set, webhook and extender routes require a client certificate signed by this CA. */
  clientCA: z.string().min(1).optional(),
  /** A 3 MiB object plus its oldObject, base64-free JSON, with room to spare. */
  bodyLimitBytes: z.number().int().min(1024).default(8 * MiB),
  requestTimeoutSeconds: z.number().positive().max(300).default(30),
  headersTimeoutSeconds: z.number().positive().max(300).default(10),
  /** Above Go's 90 s client idle timeout, so the apiserver and scheduler never reuse a connection podgate is closing. */
  keepAliveTimeoutSeconds: z.number().positive().max(600).default(120),
  /** Seconds to stay up, not ready, after SIGTERM, so endpoints drop the pod before it stops listening. */
  shutdownDelaySeconds: z.number().min(0).max(120).default(0),
  /** Reload the config when a file it was built from changes (the config file, policies, modules). */
  reload: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How often the files are checked. */
      intervalSeconds: z.number().min(0.1).max(300).default(2),
    })
    .prefault({}),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  metrics: z
    .strictObject({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default("127.0.0.1"),
      port: z.number().int().min(0).max(65535).default(9090),
    })
    .prefault({}),
});
export type ServerConfig = z.infer<typeof serverConfig>;

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits and '-'")
  .max(63);

/** A rule of a webhook configuration: which requests the apiserver sends the entry. */
export const webhookRule = z.strictObject({
  apiGroups: z.array(z.string()).min(1),
  apiVersions: z.array(z.string().min(1)).min(1),
  operations: z.array(z.enum(["CREATE", "UPDATE", "DELETE", "CONNECT", "*"])).min(1),
  resources: z.array(z.string().min(1)).min(1),
  // the apiserver's default
  scope: z.enum(["Cluster", "Namespaced", "*"]).default("*"),
});

/** What every webhook entry has, whatever its type. */
export const webhookEntry = z.strictObject({
  name: dnsLabel,
  /** A registered webhook type (the built-ins, or what a program registered); or `module`. */
  type: z.string().min(1).optional(),
  /** A user's module (relative to the config file) whose default export is a webhook definition; or `type`. */
  module: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  failurePolicy: z.enum(["Fail", "Ignore"]).default("Fail"),
  timeoutSeconds: z.number().int().min(1).max(30).default(10),
  /**
   * The requests the apiserver sends this entry, as `podgate export webhooks` (and `podgate e2e`) registers it:
   * needed by a module's webhook, which declares none; for the built-ins and policies it replaces what they imply.
   */
  rules: z.array(webhookRule).min(1).optional(),
  settings: z.unknown().optional(),
});
export type WebhookEntry = z.infer<typeof webhookEntry>;

/** Watching Namespaces gives webhooks each request's Namespace (namespaceObject), and policies of one entry their own namespaceSelectors. */
export const namespacesConfig = z.strictObject({
  watch: z.boolean().default(false),
  /** Kubeconfig for the watch; in-cluster credentials or the default kubeconfig when absent. */
  kubeconfig: z.string().min(1).optional(),
});
export type NamespacesConfig = z.infer<typeof namespacesConfig>;

export interface WebhookIdentity {
  readonly name: string;
  readonly failurePolicy: FailurePolicy;
  readonly timeoutSeconds: number;
  /** The config file's directory: paths in settings are read against it. */
  readonly baseDir: string;
  /** Whether the server watches Namespaces, so each request's context carries its namespaceObject. */
  readonly watchesNamespaces: boolean;
  /** Loads users' modules for this config; dependOn() names other files read, so changing them reloads it. */
  readonly modules: ModuleLoader;
  /** Aborted when this config stops serving (a reload replaced it, or the server stopped): release what create() started. */
  readonly signal: AbortSignal;
}

/** A kind of webhook that config entries can instantiate, e.g. "sidecar". */
export interface WebhookType<S extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly kind: WebhookKind;
  readonly description: string;
  readonly settings: S;
  create(identity: WebhookIdentity, settings: z.output<S>): AdmissionHandler;
}

export const configShape = {
  server: serverConfig.prefault({}),
  namespaces: namespacesConfig.prefault({}),
  admission: z
    .strictObject({
      mutating: z.array(webhookEntry).default([]),
      validating: z.array(webhookEntry).default([]),
    })
    .prefault({}),
};

// The one place src/ imports webhooks/ and extender/: the built-in webhook
// types and config sections that the server and the CLI know about.
import type { ConfigRegistry } from "./config/load.ts";
import type { Extension } from "./server/serve.ts";
import type { LoadedConfig } from "./config/load.ts";
import { policyWebhookType } from "../webhooks/policy/webhook.ts";
export * as policyTools from "../webhooks/policy/tools.ts";
import { defaultsWebhook } from "../webhooks/defaults/index.ts";
import { sidecarWebhook } from "../webhooks/sidecar/index.ts";
import { certificatesOf, certificatesSection } from "./certs/config.ts";
import { rotationExtension } from "./certs/rotation.ts";
import { extenderSection, type ExtenderConfig } from "../extender/config.ts";
import { extenderExtension } from "../extender/extension.ts";

export { podgateSchedulerConfig, type ExtenderConfig } from "../extender/config.ts";

export const registry: ConfigRegistry = {
  webhookTypes: [policyWebhookType, sidecarWebhook, defaultsWebhook],
  sections: { certificates: certificatesSection, extender: extenderSection },
};

/** Extensions (extra routes, background work) that the loaded config enables. */
export function extensionsFor(config: LoadedConfig): Extension[] {
  const certificates = certificatesOf(config.sections);
  const extender = config.sections["extender"] as ExtenderConfig | undefined;
  return [...(certificates.mode === "secret" ? [rotationExtension(certificates)] : []), ...(extender?.enabled ? [extenderExtension(extender)] : [])];
}

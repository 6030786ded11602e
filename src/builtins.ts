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

export const registry: ConfigRegistry = {
  webhookTypes: [policyWebhookType, sidecarWebhook, defaultsWebhook],
  sections: { certificates: certificatesSection },
};

/** Extensions (extra routes, background work) that the loaded config enables. */
export function extensionsFor(config: LoadedConfig): Extension[] {
  const certificates = certificatesOf(config.sections);
  return [...(certificates.mode === "secret" ? [rotationExtension(certificates)] : [])];
}

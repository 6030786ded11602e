// The one place src/ imports webhooks/ and extender/: the built-in webhook
// types and config sections that the server and the CLI know about.
import type { ConfigRegistry } from "./config/load.ts";
import type { Extension } from "./server/serve.ts";
import type { LoadedConfig } from "./config/load.ts";
import { policyWebhookType } from "../webhooks/policy/webhook.ts";
export * as policyTools from "../webhooks/policy/tools.ts";
import { defaultsWebhook } from "../webhooks/defaults/index.ts";
import { sidecarWebhook } from "../webhooks/sidecar/index.ts";

export const registry: ConfigRegistry = {
  webhookTypes: [policyWebhookType, sidecarWebhook, defaultsWebhook],
  sections: {},
};

/** Extensions (extra routes, background work) that the loaded config enables. */
export function extensionsFor(_config: LoadedConfig): Extension[] {
  return [];
}

// The one place src/ imports webhooks/ and extender/ to wire them: the
// built-in webhooks and plugins are registered through register(), the path
// a program built on podgate uses for its own (createPodgate), plus the
// config sections and the extensions (routes, background work) they enable.
import type { LoadedConfig } from "./config/load.ts";
import type { Extension } from "./server/serve.ts";
import { Registry } from "./toolkit/registry.ts";
import { policyWebhookType } from "../webhooks/policy/webhook.ts";
import { mutatingPolicyWebhookType } from "../webhooks/policy/mutating-webhook.ts";
import { policyCommands } from "../webhooks/policy/cli/commands.ts";
import { reportsExtension, reportsSection } from "../webhooks/policy/reports/scanner.ts";
import { servedPolicyRules } from "../webhooks/policy/served-rules.ts";
export * as policyTools from "../webhooks/policy/tools.ts";
import { defaultsWebhook } from "../webhooks/defaults/index.ts";
import { sidecarWebhook } from "../webhooks/sidecar/index.ts";
import { certificates } from "./certs/config.ts";
import { rotationExtension } from "./certs/rotation.ts";
import { namespacesExtension } from "./kube/namespaces.ts";
import { extenderSection } from "../extender/config.ts";
import { extenderExtension } from "../extender/extension.ts";
import { balancedAllocation, leastAllocated } from "../extender/plugins/allocation.ts";
import { nodeRules } from "../extender/plugins/node-rules.ts";
import { resourceFit } from "../extender/plugins/resource-fit.ts";
import { zoneSpread } from "../extender/plugins/zone-spread.ts";

export { podgateSchedulerConfig, type ExtenderConfig } from "../extender/config.ts";

/** A registry holding the built-ins; a program adds its own definitions to it. */
export function builtinRegistry(): Registry {
  const registry = new Registry()
    .register(policyWebhookType, mutatingPolicyWebhookType, sidecarWebhook, defaultsWebhook)
    .command(...policyCommands)
    .register(resourceFit, nodeRules, leastAllocated, balancedAllocation, zoneSpread)
    .section(certificates)
    .section(reportsSection);
  return registry.section(extenderSection(registry.plugins));
}

export const registry: Registry = builtinRegistry();

/** The `extender` section of a loaded config, whichever registry loaded it. */
export const extenderConfigOf = extenderSection(registry.plugins).of;

/** Extensions (extra routes, background work) that the loaded config enables. */
export function extensionsFor(config: LoadedConfig): Extension[] {
  const certificateSettings = certificates.of(config);
  const extender = extenderConfigOf(config);
  return [
    ...(certificateSettings.mode === "secret" ? [rotationExtension(certificateSettings, { config, rulesOf: servedPolicyRules })] : []),
    ...(config.namespaces.watch ? [namespacesExtension(config.namespaces)] : []),
    ...(extender.enabled ? [extenderExtension(extender, extenderConfigOf)] : []),
    ...(reportsSection.of(config).enabled ? [reportsExtension(reportsSection.of(config), config)] : []),
  ];
}

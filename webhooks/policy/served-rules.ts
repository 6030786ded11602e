// The rules each served policy webhook needs, so the certificate leader can
// add what its webhook configuration lacks after a reload (src/certs/rotation.ts).
import type { LoadedConfig } from "../../src/config/load.ts";
import { ModuleLoader } from "../../src/toolkit/modules.ts";
import { webhookRules, type WebhookRule } from "./export.ts";
import { policiesFor, policySettings } from "./webhook.ts";

/** By the path the apiserver calls (/validate/<name>): the entry's own rules or what its policies match, as `podgate export webhooks` writes it. */
export function servedPolicyRules(config: LoadedConfig): Map<string, WebhookRule[]> {
  return new Map(
    config.entries.validating
      .filter((entry) => entry.type === "policy" && entry.enabled)
      // This config's own generation: its modules are already loaded, not loaded again.
      .map((entry) => [`/validate/${entry.name}`, entry.rules ?? webhookRules(policiesFor(policySettings.parse(entry.settings ?? {}), config.baseDir, true, new ModuleLoader(config.generation)))]),
  );
}

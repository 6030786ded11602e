// The `sidecar` mutating webhook type: injects the configured templates into
// pods that ask for them, and reports (never throws on) bad annotations.
import { allow, mutate, type Decision } from "../../src/admission/handler.ts";
import type { AdmissionRequest } from "../../src/admission/review.ts";
import { defineMutatingWebhook } from "../../src/toolkit/define.ts";
import { readPodCreate, shortWarning } from "../pod-reader/request.ts";
import { namespaceOf } from "../pod-reader/shape.ts";
import { inject } from "./inject.ts";
import { planInjection, unreadKeys } from "./select.ts";
import { sidecarSettings, type SidecarSettings } from "./settings.ts";

/** Audit annotation key (the apiserver prefixes it with the webhook name). */
export const AUDIT_KEY = "injection";

function skipped(reason: string, warnings: string[] = []): Decision {
  return allow({ auditAnnotations: { [AUDIT_KEY]: `skipped: ${reason}` }, ...(warnings.length > 0 ? { warnings: warnings.map(shortWarning) } : {}) });
}

export function handleSidecar(request: AdmissionRequest, settings: SidecarSettings): Decision {
  const read = readPodCreate(request);
  if (read.kind === "ignore") return allow();
  if (read.kind === "unreadable") return skipped(`unreadable pod: ${read.message}`, [`sidecar not injected: ${read.message}`]);
  const plan = planInjection(read.pod, namespaceOf(read.pod, request.namespace), settings);
  if (!plan.inject && plan.quiet) return allow();
  // Misspelt keys are reported as bad values are, whether or not the pod gets its sidecar.
  const unread = unreadKeys(read.pod, settings).map((m) => `sidecar: ${m}`);
  if (!plan.inject) {
    const details = plan.problems.map((p) => `${p.key} ${p.message}`);
    return skipped([plan.reason, ...details].join("; "), [...details.map((d) => `sidecar not injected: ${d}`), ...unread]);
  }
  const result = inject(read.pod, plan.selections);
  if (!result.ok) return skipped(result.reason, [`sidecar not injected: ${result.reason}`, ...unread]);
  return mutate(result.pod, { auditAnnotations: { [AUDIT_KEY]: `injected: ${result.status.templates.join(",")}` }, ...(unread.length > 0 ? { warnings: unread.map(shortWarning) } : {}) });
}

export const sidecarWebhook = defineMutatingWebhook({
  type: "sidecar",
  description: "Injects sidecar containers, volumes and env from named templates into pods that opt in",
  settings: sidecarSettings,
  leavesInputIntact: true,
  mutate: ({ request, settings }) => handleSidecar(request, settings),
});

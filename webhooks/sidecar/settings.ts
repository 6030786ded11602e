// The `sidecar` webhook's settings: named templates, the default one, and who gets injected.
import { z } from "zod";
import { SYSTEM_NAMESPACES } from "../pod-reader/shape.ts";
import { templateSchema } from "./template.ts";

const templateName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits and '-'").max(63);

export const sidecarSettings = z
  .strictObject({
    templates: z.record(templateName, templateSchema).refine((t) => Object.keys(t).length > 0, "at least one template is required"),
    /** The template a pod gets when it has no sidecar.podgate.io/templates annotation. */
    defaultTemplate: templateName,
    /**
     * Whether a pod with no sidecar.podgate.io/inject annotation or label is injected.
     * The webhook sees only the pod, not its namespace's labels: namespace opt-in
     * (podgate.io/inject=enabled) is the webhook configuration's namespaceSelector,
     * and a deployment that uses it turns this on.
     */
    injectByDefault: z.boolean().default(false),
    /** Native sidecars (Kubernetes 1.29+) unless a template or the pod says otherwise. */
    native: z.boolean().default(false),
    /** Never injected, whatever the pod says (podgate's own namespace belongs here). */
    excludeNamespaces: z.array(z.string().min(1)).default(SYSTEM_NAMESPACES),
  })
  .superRefine((settings, context) => {
    if (!(settings.defaultTemplate in settings.templates)) {
      context.addIssue({
        code: "custom",
        path: ["defaultTemplate"],
        message: `unknown template "${settings.defaultTemplate}"; expected one of: ${Object.keys(settings.templates).join(", ")}`,
      });
    }
  });
export type SidecarSettings = z.infer<typeof sidecarSettings>;

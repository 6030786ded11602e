// The `certificates` config section: where the serving certificate comes from.
//   local  (default) a CA and certificate generated into server.tlsDir when absent;
//   secret podgate keeps them in a Secret (mounted as tlsDir): the Lease leader
//          renews before expiry, rotates the CA and patches caBundle;
//   files  someone else (cert-manager, a mounted Secret) provides tlsDir;
//          podgate serves and reloads it but never generates.
import { z } from "zod";
import { certificateHost, serviceHosts } from "./hosts.ts";
import type { CertificatePolicy } from "./plan.ts";
import { defineSection } from "../config/section.ts";

const dnsName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS name").max(253);

/** The validity knobs shared by the secret mode and the CLI. */
export const validityShape = {
  caValidityDays: z.number().int().min(1).default(3650),
  servingValidityDays: z.number().int().min(1).default(365),
  renewBeforeDays: z.number().int().min(1).default(30),
};

type Validity = { caValidityDays: number; servingValidityDays: number; renewBeforeDays: number };

/** The checks that make a validity setting sensible: renewal inside the lifetime, a CA outliving what it issues. */
export function checkValidity(value: Validity, ctx: z.RefinementCtx): void {
  if (value.renewBeforeDays >= value.servingValidityDays) {
    ctx.addIssue({ code: "custom", path: ["renewBeforeDays"], message: `must be less than servingValidityDays (${value.servingValidityDays})` });
  }
  if (value.caValidityDays <= value.servingValidityDays + value.renewBeforeDays) {
    ctx.addIssue({ code: "custom", path: ["caValidityDays"], message: "must exceed servingValidityDays + renewBeforeDays, or the CA would be rotated on every check" });
  }
}

export const secretMode = z
  .strictObject({
    mode: z.literal("secret"),
    namespace: dnsName.default("podgate"),
    service: dnsName.default("podgate"),
    secret: dnsName.default("podgate-tls"),
    /** podgate's own webhook configurations, whose caBundle it keeps current; "" for none. */
    mutatingWebhookConfiguration: z.union([dnsName, z.literal("")]).default("podgate"),
    validatingWebhookConfiguration: z.union([dnsName, z.literal("")]).default("podgate"),
    lease: dnsName.default("podgate-certificates"),
    /** Names besides the Service's four DNS names. */
    extraHosts: z.array(certificateHost).default([]),
    ...validityShape,
    leaseDurationSeconds: z.number().int().min(5).max(600).default(60),
    checkIntervalSeconds: z.number().int().min(1).max(3600).default(20),
    /** Selects podgate's pods, to see which certificate each serves before an old CA leaves the bundle. */
    podSelector: z.string().min(1).default("app.kubernetes.io/name=podgate"),
    /** The port replicas serve HTTPS on (the container port, not the Service's). */
    replicaPort: z.number().int().min(1).max(65535).default(8443),
  })
  .superRefine((value, ctx) => {
    checkValidity(value, ctx);
    if (value.checkIntervalSeconds * 2 > value.leaseDurationSeconds) {
      ctx.addIssue({ code: "custom", path: ["checkIntervalSeconds"], message: `must be at most half of leaseDurationSeconds (${value.leaseDurationSeconds}), so the leader renews in time` });
    }
  });
export type SecretModeSettings = z.infer<typeof secretMode>;

const certificatesSettings = z
  .discriminatedUnion("mode", [z.strictObject({ mode: z.literal("local") }), z.strictObject({ mode: z.literal("files") }), secretMode])
  .default({ mode: "local" });
export type CertificatesSettings = z.infer<typeof certificatesSettings>;

/** The `certificates` section: where the serving certificate comes from. */
export const certificates = defineSection("certificates", () => certificatesSettings);

/** The config with certificates.mode set from the command line (a kustomize component switches modes by flag, not by copying the config). */
export function withCertificatesMode<C extends { readonly sections: Readonly<Record<string, unknown>> }>(config: C, mode: CertificatesSettings["mode"] | undefined): C {
  const current = certificates.of(config);
  if (!mode || current.mode === mode) return config;
  // Switching to secret keeps the section's names; switching away drops them (local and files take none).
  const section = mode === "secret" ? { ...current, mode } : { mode };
  return { ...config, sections: { ...config.sections, [certificates.name]: certificatesSettings.parse(section) } };
}

export interface PolicyInput {
  readonly service: string;
  readonly namespace: string;
  readonly extraHosts: readonly string[];
  readonly caValidityDays: number;
  readonly servingValidityDays: number;
  readonly renewBeforeDays: number;
}

export function policyFor(input: PolicyInput): CertificatePolicy {
  return {
    hosts: [...new Set([...serviceHosts(input.service, input.namespace), ...input.extraHosts])],
    caValidityDays: input.caValidityDays,
    servingValidityDays: input.servingValidityDays,
    renewBeforeDays: input.renewBeforeDays,
  };
}

// The DNS names of a Service, and what a certificate's host may be, apart
// from certificate generation so that reading the config does not load node-forge.
import { isIP } from "node:net";
import { z } from "zod";

const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i;

/** Why a name cannot be a certificate's subjectAltName (an IP, or a DNS name with an optional leading "*."), or undefined when it can. */
export function hostProblem(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  const name = host.startsWith("*.") ? host.slice(2) : host;
  if (name.length > 253) return "a DNS name is at most 253 characters";
  if (name.includes("*")) return "a wildcard is only allowed as the whole first label (*.example.com)";
  const labels = name.split(".");
  if (labels.some((label) => label === "")) return "empty label (two dots in a row, or a leading or trailing dot)";
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) return `label "${bad}" must be 1-63 letters, digits and '-', not starting or ending with '-'`;
  return undefined;
}

/** A certificate host, refused with the reason. */
export const certificateHost = z.string().superRefine((host, ctx) => {
  const problem = hostProblem(host);
  if (problem) ctx.addIssue({ code: "custom", message: `${JSON.stringify(host)} is not a DNS name or IP address: ${problem}` });
});

/** The DNS names a Service is reached by from inside the cluster. */
export function serviceHosts(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

// Resource defaults, LimitRange-style: fill a missing request or limit, never
// change one the user set, and never make a pod invalid (request above limit).
import { parseQuantityNanos } from "../../src/resources.ts";
import type { Container } from "../pod-reader/shape.ts";
import type { DefaultsSettings } from "./settings.ts";

export interface ResourceDefaults {
  readonly requests: Readonly<Record<string, string>>;
  readonly limits: Readonly<Record<string, string>>;
}

/** The namespace's defaults over the global ones, resource by resource. */
export function resourceDefaultsFor(settings: DefaultsSettings["resources"], namespace: string): ResourceDefaults {
  const own = settings.namespaces[namespace];
  return { requests: { ...settings.requests, ...own?.requests }, limits: { ...settings.limits, ...own?.limits } };
}

function nanos(value: string | number | undefined): bigint | undefined {
  if (value === undefined) return undefined;
  try {
    return parseQuantityNanos(String(value));
  } catch {
    // The apiserver rejects a malformed quantity itself; it just cannot be compared here.
    return undefined;
  }
}

/** The container with missing requests and limits filled; notes say what was left unfilled and why. */
export function defaultResources(container: Container, defaults: ResourceDefaults): { container: Container; notes: string[] } {
  const requests = { ...container.resources?.requests };
  const limits = { ...container.resources?.limits };
  const notes: string[] = [];
  for (const [name, limit] of Object.entries(defaults.limits)) {
    if (limits[name] !== undefined) continue;
    const request = nanos(requests[name]);
    if (requests[name] !== undefined && (request === undefined || request > parseQuantityNanos(limit))) {
      notes.push(`container ${container.name}: ${name} request ${requests[name]} is above the default limit ${limit}; limit left unset`);
      continue;
    }
    limits[name] = limit;
  }
  for (const [name, request] of Object.entries(defaults.requests)) {
    if (requests[name] !== undefined) continue;
    const limit = nanos(limits[name]);
    if (limits[name] !== undefined && limit === undefined) continue;
    // A request may not exceed the limit: cap it there, as the apiserver's own defaulting would.
    requests[name] = limit !== undefined && parseQuantityNanos(request) > limit ? String(limits[name]) : request;
  }
  const changed = Object.keys(requests).length !== Object.keys(container.resources?.requests ?? {}).length || Object.keys(limits).length !== Object.keys(container.resources?.limits ?? {}).length;
  if (!changed) return { container, notes };
  const resources = {
    ...container.resources,
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
  };
  return { container: { ...container, resources }, notes };
}

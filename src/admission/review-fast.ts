// A fast path for the AdmissionReview envelope: the zod schema in review.ts
// decides, but checking an ordinary review by hand costs a tenth of it. This
// accepts only what that schema accepts, returns what it returns (unknown keys
// dropped), and answers undefined for anything else, so the caller falls back
// to zod, which then accepts or explains. A property test holds the two together.
import type { AdmissionReview } from "./review.ts";

type Loose = Record<string, unknown>;

/** A plain object, as JSON.parse makes them (zod's record refuses others). */
const isRecord = (value: unknown): value is Loose => typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
const isOptionalString = (value: unknown) => value === undefined || typeof value === "string";
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === "string");
const OPERATIONS: ReadonlySet<unknown> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);
const OPTIONAL_STRINGS = ["subResource", "requestSubResource", "name", "namespace"] as const;
const OBJECTS = ["object", "oldObject", "options"] as const;

/** {group, version, <last>} with <last> non-empty; undefined when not exactly that. */
function groupVersion<K extends "kind" | "resource">(value: unknown, last: K): ({ group: string; version: string } & Record<K, string>) | undefined {
  if (!isRecord(value) || typeof value["group"] !== "string" || typeof value["version"] !== "string") return undefined;
  const named = value[last];
  if (typeof named !== "string" || named === "") return undefined;
  return { group: value["group"], version: value["version"], [last]: named } as { group: string; version: string } & Record<K, string>;
}

function userInfo(value: unknown): AdmissionReview["request"]["userInfo"] | null {
  if (!isRecord(value)) return null;
  const { username, uid, groups, extra } = value;
  if (!isOptionalString(username) || !isOptionalString(uid) || (groups !== undefined && !isStrings(groups))) return null;
  if (extra !== undefined && !(isRecord(extra) && Object.values(extra).every(isStrings))) return null;
  return {
    ...(username === undefined ? {} : { username }),
    ...(uid === undefined ? {} : { uid }),
    ...(groups === undefined ? {} : { groups }),
    ...(extra === undefined ? {} : { extra: extra as Record<string, string[]> }),
  };
}

/** The review as the zod schema would return it, or undefined to let the schema decide. */
export function fastAdmissionReview(body: unknown): AdmissionReview | undefined {
  if (!isRecord(body) || body["apiVersion"] !== "admission.k8s.io/v1" || body["kind"] !== "AdmissionReview") return undefined;
  const request = body["request"];
  if (!isRecord(request) || typeof request["uid"] !== "string" || request["uid"] === "" || !OPERATIONS.has(request["operation"])) return undefined;
  const kind = groupVersion(request["kind"], "kind");
  const resource = groupVersion(request["resource"], "resource");
  if (!kind || !resource) return undefined;
  const out: Loose = { uid: request["uid"], kind, resource };
  if (request["requestKind"] !== undefined) {
    const requestKind = groupVersion(request["requestKind"], "kind");
    if (!requestKind) return undefined;
    out["requestKind"] = requestKind;
  }
  if (request["requestResource"] !== undefined) {
    const requestResource = groupVersion(request["requestResource"], "resource");
    if (!requestResource) return undefined;
    out["requestResource"] = requestResource;
  }
  for (const key of OPTIONAL_STRINGS) {
    const value = request[key];
    if (!isOptionalString(value)) return undefined;
    if (value !== undefined) out[key] = value;
  }
  out["operation"] = request["operation"];
  if (request["userInfo"] !== undefined) {
    const info = userInfo(request["userInfo"]);
    if (info === null) return undefined;
    out["userInfo"] = info;
  }
  for (const key of OBJECTS) {
    const value = request[key];
    if (value !== undefined && value !== null && !isRecord(value)) return undefined;
    if (value !== undefined) out[key] = value;
  }
  const dryRun = request["dryRun"];
  if (dryRun !== undefined && typeof dryRun !== "boolean") return undefined;
  if (dryRun !== undefined) out["dryRun"] = dryRun;
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: out as AdmissionReview["request"] };
}

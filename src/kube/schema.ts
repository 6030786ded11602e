// Strict zod schemas for Kubernetes API objects, generated from the attribute
// maps @kubernetes/client-node ships for every model, so config that embeds a
// container or volume spec (sidecar templates) is checked against the real
// field names and types without writing the Kubernetes API out a second time.
import * as k8s from "@kubernetes/client-node";
import { z } from "zod";

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

function attributesOf(model: string): readonly Attribute[] {
  const candidate = (k8s as Record<string, unknown>)[model] as { getAttributeTypeMap?: () => Attribute[] } | undefined;
  if (typeof candidate?.getAttributeTypeMap !== "function") throw new Error(`no Kubernetes model named ${model}`);
  return candidate.getAttributeTypeMap();
}

const cache = new Map<string, z.ZodType>();

function schemaForType(type: string): z.ZodType {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return z.array(schemaForType(array[1]!));
  switch (type) {
    case "string":
    case "Date":
      return z.string();
    case "number":
      return z.number();
    case "boolean":
      return z.boolean();
    case "IntOrString":
      return z.union([z.number().int(), z.string()]);
    case "{ [key: string]: string; }":
      return z.record(z.string(), z.string());
    case "any":
      return z.unknown();
    default:
      return kubeModelSchema(type);
  }
}

/** A strict schema for a client-node model, e.g. "V1Container": unknown keys and wrong types are errors. */
export function kubeModelSchema(model: string): z.ZodType {
  const cached = cache.get(model);
  if (cached) return cached;
  // Lazy, so recursive models (JSONSchemaProps) terminate and the cache is filled before descending.
  const schema = z.lazy(() =>
    z.strictObject(Object.fromEntries(attributesOf(model).map((a) => [a.baseName, schemaForType(a.type).optional()]))),
  );
  cache.set(model, schema);
  return schema;
}

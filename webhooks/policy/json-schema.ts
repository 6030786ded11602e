// The policy file's JSON Schema (a Policy or a MutatingPolicy document), generated from the zod schema so editors check
// what podgate checks. `node webhooks/policy/json-schema.ts` rewrites the published copy.
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { mutatingPolicyDocument, policyDocument } from "./schema.ts";
import { packagePath } from "../../src/package-root.ts";

export const SCHEMA_PATH = packagePath("schemas/policy.schema.json");

export function policyJsonSchemaText(): string {
  const schema = z.toJSONSchema(z.discriminatedUnion("kind", [policyDocument, mutatingPolicyDocument]), { io: "input", target: "draft-2020-12" });
  return `${JSON.stringify({ ...schema, $id: "https://podgate.dev/schemas/policy.schema.json", title: "podgate Policy or MutatingPolicy" }, null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(SCHEMA_PATH, policyJsonSchemaText());
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
}

// Writes src/kube/models.json: the attribute maps @kubernetes/client-node
// ships for the models podgate validates (and every model they embed), so
// src/kube/schema.ts checks real Kubernetes field names and types without
// loading client-node (~85 MB of RSS) at run time.
// `node src/kube/models-gen.ts` rewrites it; a unit test keeps it fresh.
import { writeFileSync } from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { MODELS_PATH, ROOT_MODELS, type KubeModels } from "./schema.ts";

interface Attribute {
  readonly baseName: string;
  readonly type: string;
}

function attributesOf(model: string): readonly Attribute[] {
  const candidate = (k8s as Record<string, unknown>)[model] as { getAttributeTypeMap?: () => Attribute[] } | undefined;
  if (typeof candidate?.getAttributeTypeMap !== "function") throw new Error(`no Kubernetes model named ${model}`);
  return candidate.getAttributeTypeMap();
}

/** Model names a type refers to: "Array<V1EnvVar>" -> V1EnvVar; primitives and maps name none. */
function modelIn(type: string): string | undefined {
  const inner = /^Array<(.+)>$/.exec(type)?.[1] ?? type;
  return /^[A-Z]\w*$/.test(inner) && inner !== "Date" && inner !== "IntOrString" ? inner : undefined;
}

/** The roots and every model reachable from them, sorted by name so the file diffs cleanly. */
export function collectModels(roots: readonly string[]): KubeModels {
  const models: Record<string, { name: string; type: string }[]> = {};
  const pending = [...roots];
  for (let model = pending.pop(); model !== undefined; model = pending.pop()) {
    if (model in models) continue;
    const attributes = attributesOf(model);
    models[model] = attributes.map((a) => ({ name: a.baseName, type: a.type }));
    for (const a of attributes) {
      const next = modelIn(a.type);
      if (next !== undefined && !(next in models)) pending.push(next);
    }
  }
  return Object.fromEntries(Object.keys(models).sort().map((name) => [name, models[name]!]));
}

export function kubeModelsText(): string {
  return `${JSON.stringify(collectModels(ROOT_MODELS), null, 1)}\n`;
}

if (import.meta.main) {
  writeFileSync(MODELS_PATH, kubeModelsText());
  process.stdout.write(`wrote ${MODELS_PATH}\n`);
}

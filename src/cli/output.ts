// What the CLI's commands print objects as: a YAML stream, one document per object.
import { stringify } from "yaml";

export const yamlStream = (objects: readonly unknown[]) => objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");

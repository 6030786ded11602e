// What the CLI's commands print objects as: a YAML stream, one document per object.
import { stringify } from "yaml";

// version 1.1: kubectl and the apiserver read YAML 1.1, where a bare n, yes or on is a boolean, so such strings are quoted.
export const yamlStream = (objects: readonly unknown[]) => objects.map((o) => stringify(o, { lineWidth: 0, version: "1.1" })).join("---\n");

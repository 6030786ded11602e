// What the admission bench measures: three baselines and three podgate setups,
// all served the same review over the same TLS. Configs are built from the
// embedded default (sidecar + defaults) and the whole built-in policy library.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { DEFAULT_CONFIG_PATH } from "../../src/config/default.ts";
import type { ServerKind } from "./server.ts";

export const REVIEW_FIXTURE = new URL("../../test/fixtures/bench/pod-review.json", import.meta.url).pathname;

export interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly server: ServerKind;
  /** podgate's config (the server section is set by the bench); the webhooks' for "webhooks". */
  readonly config?: unknown;
  /** One operation's requests; "mutated" is the review after podgate's own patch. */
  readonly steps: readonly { readonly path: string; readonly body: "review" | "mutated" }[];
}

/** Every library set, with the registries the fixture pod (and the injected sidecar) use. */
export const FULL_LIBRARY = {
  name: "policy",
  type: "policy",
  settings: {
    library: ["pss-baseline", "pss-restricted", "best-practices", { name: "allowed-registries", params: { registries: ["registry.example.com", "cr.fluentbit.io"] } }],
  },
};

export function defaultMutating(): unknown[] {
  const config = parse(readFileSync(DEFAULT_CONFIG_PATH, "utf8")) as { admission: { mutating: unknown[] } };
  return config.admission.mutating;
}

export function scenarios(): Scenario[] {
  const mutating = defaultMutating();
  return [
    // The floor runs first: the loads of every latency run are fractions of its throughput.
    { id: "floor", title: "node:https JSON.parse + echo uid (protocol floor)", server: "floor", steps: [{ path: "/", body: "review" }] },
    { id: "ceiling", title: "node:https drain + constant (stack ceiling)", server: "ceiling", steps: [{ path: "/", body: "review" }] },
    { id: "empty", title: "podgate, no webhook enabled (/validate)", server: "podgate", config: { admission: { mutating: [], validating: [] } }, steps: [{ path: "/validate", body: "review" }] },
    { id: "mutate", title: "podgate /mutate (sidecar + defaults)", server: "podgate", config: { admission: { mutating, validating: [] } }, steps: [{ path: "/mutate", body: "review" }] },
    { id: "validate", title: "podgate /validate (full policy library)", server: "podgate", config: { admission: { mutating: [], validating: [FULL_LIBRARY] } }, steps: [{ path: "/validate", body: "review" }] },
    // Bounds: the same webhooks on the floor's bare server, without podgate's framework.
    { id: "mutate-alone", title: "node:https + podgate's mutating webhooks alone (bound)", server: "webhooks", config: { admission: { mutating, validating: [] } }, steps: [{ path: "/mutate", body: "review" }] },
    { id: "validate-alone", title: "node:https + podgate's policy library alone (bound)", server: "webhooks", config: { admission: { mutating: [], validating: [FULL_LIBRARY] } }, steps: [{ path: "/validate", body: "review" }] },
    {
      id: "both",
      title: "podgate /mutate then /validate of the mutated pod",
      server: "podgate",
      config: { admission: { mutating, validating: [FULL_LIBRARY] } },
      steps: [
        { path: "/mutate", body: "review" },
        { path: "/validate", body: "mutated" },
      ],
    },
  ];
}

// podgate's public API (`import … from "podgate"`): what a user's webhooks,
// policies and scheduler plugins are written with. Everything here is
// documented in docs/toolkit.md; a unit test keeps the two in step.
export { z } from "zod";

// Admission: decisions and webhook definitions.
export { allow, deny, mutate, warn, type Decision, type HandlerContext, type FailurePolicy } from "./admission/handler.ts";
export { defineMutatingWebhook, defineValidatingWebhook, type Review, type MutateResult, type ValidateResult, type MutatingWebhookDefinition, type ValidatingWebhookDefinition } from "./toolkit/define.ts";
export type { WebhookType, WebhookIdentity } from "./config/schema.ts";

// The wire schemas; each type is derived from its schema.
export { admissionRequest, admissionReview, kubeObject, type AdmissionRequest, type AdmissionReview, type KubeObject } from "./admission/review.ts";
export { pod, container, type Pod, type Container } from "../webhooks/pod-reader/shape.ts";
export { node, type Node } from "../extender/wire.ts";

// Policies written in TypeScript.
export { definePolicy, type TypedPolicy, type PolicyContext, type Finding, type Findings } from "../webhooks/policy/typescript-policy.ts";

// Scheduler extender plugins (the scheduling framework's Filter and Score).
export { definePlugin, normalizeToMax, MAX_NODE_SCORE, type PluginType, type Plugin, type PodInfo, type CycleState, type Rejection, type FilterPlugin, type ScorePlugin } from "../extender/plugins/plugin.ts";
export type { NodeInfo, Resources } from "../extender/nodeinfo.ts";

// A program's own main: the built-ins plus its registered definitions, served from a config.
export { createPodgate, serve, type Podgate, type ServeOptions } from "./toolkit/podgate.ts";
export { Registry, type Definition, type CliCommand } from "./toolkit/registry.ts";
export { defineSection, type Section, type SectionContext } from "./config/section.ts";
export { ConfigError, type LoadedConfig } from "./config/load.ts";
export type { RunningServer } from "./server/serve.ts";

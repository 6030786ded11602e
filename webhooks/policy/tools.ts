// What src/ uses of the policy code (export webhooks, podgate dev), exported through src/wiring.ts.
export { PolicyError } from "./declarative.ts";
export { decide } from "./decide.ts";
export { exportVap, mutatingEntry, mutatingPolicyRoute, POD_CREATE_RULES, mutatingWebhookConfiguration, webhookConfiguration, webhookEntryBasics, type ClientTarget } from "./export.ts";
export { mutatingPoliciesFor, mutatingPolicySettings } from "./mutating-webhook.ts";
export { libraryDocuments, loadLibrary, loadPolicyFiles, loadPolicyModules, readYamlDocuments, yamlFiles, assertUniqueNames } from "./load.ts";
export { evaluateManifests, flattenManifests, unknownNamespacesNote } from "./offline.ts";
export { formatApply, formatSuites, junitXml } from "./report.ts";
export { findSuites, runSuite, suitePassed } from "./suite.ts";
export { policiesFor, policySettings } from "./webhook.ts";
export { usageErrors } from "./cli/options.ts";

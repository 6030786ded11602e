// Offline admission requests from manifests: a manifest is admitted as itself,
// and a workload (Deployment, StatefulSet, ...) also through its pod template,
// as the Pod its controller would create.
import type { AdmissionRequest, KubeObject, Operation } from "../../src/admission/review.ts";

/** The workload kinds whose controllers create pods, where each keeps its pod template, and their API resource. */
export const WORKLOADS: Readonly<Record<string, { readonly group: string; readonly resource: string; readonly template: readonly string[] }>> = {
  Deployment: { group: "apps", resource: "deployments", template: ["spec", "template"] },
  StatefulSet: { group: "apps", resource: "statefulsets", template: ["spec", "template"] },
  DaemonSet: { group: "apps", resource: "daemonsets", template: ["spec", "template"] },
  ReplicaSet: { group: "apps", resource: "replicasets", template: ["spec", "template"] },
  ReplicationController: { group: "", resource: "replicationcontrollers", template: ["spec", "template"] },
  Job: { group: "batch", resource: "jobs", template: ["spec", "template"] },
  CronJob: { group: "batch", resource: "cronjobs", template: ["spec", "jobTemplate", "spec", "template"] },
};

const CLUSTER_SCOPED = new Set(["Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "RuntimeClass", "IngressClass"]);

export interface Target {
  /** What is admitted, for people: "Pod default/web" or "Deployment default/web (spec.template)". */
  readonly label: string;
  /** The name test suites use: the manifest's metadata.name. */
  readonly name: string;
  readonly request: AdmissionRequest;
  /** For a workload's pod template: the template's path, e.g. spec.template. */
  readonly template?: string;
  /** The object judged, or whose template is: what a report names. */
  readonly manifest: KubeObject;
}

const metadataOf = (o: KubeObject) => (typeof o["metadata"] === "object" && o["metadata"] !== null ? (o["metadata"] as Record<string, unknown>) : {});
const str = (v: unknown) => (typeof v === "string" ? v : "");

function pluralResource(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower.endsWith("y")) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith("s")) return `${lower}es`;
  return `${lower}s`;
}

function groupVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function requestFor(object: KubeObject, operation: Operation = "CREATE", uid = "podgate-offline"): AdmissionRequest {
  const kind = str(object["kind"]);
  const { group, version } = groupVersion(str(object["apiVersion"]) || "v1");
  const metadata = metadataOf(object);
  const namespace = CLUSTER_SCOPED.has(kind) ? undefined : str(metadata["namespace"]) || "default";
  const name = str(metadata["name"]);
  const withNamespace = namespace && !metadata["namespace"] ? { ...object, metadata: { ...metadata, namespace } } : object;
  return {
    uid,
    kind: { group, version, kind },
    resource: { group, version, resource: pluralResource(kind) },
    requestKind: { group, version, kind },
    requestResource: { group, version, resource: pluralResource(kind) },
    ...(name ? { name } : {}),
    ...(namespace ? { namespace } : {}),
    operation,
    userInfo: { username: "podgate-offline" },
    object: operation === "DELETE" ? null : withNamespace,
    oldObject: operation === "CREATE" ? null : withNamespace,
    dryRun: true,
    options: null,
  };
}

function at(object: KubeObject, path: readonly string[]): KubeObject | undefined {
  let value: unknown = object;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as KubeObject) : undefined;
}

/** The Pod a workload's controller would create from its template (generateName, no name, as the apiserver sees it). */
function podFromTemplate(workload: KubeObject): { pod: KubeObject; path: string } | undefined {
  const path = WORKLOADS[str(workload["kind"])]?.template;
  const template = path && at(workload, path);
  if (!path || !template) return undefined;
  const owner = metadataOf(workload);
  const templateMeta = metadataOf(template);
  const namespace = str(owner["namespace"]);
  const pod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...templateMeta, generateName: `${str(owner["name"])}-`, ...(namespace ? { namespace } : {}) },
    spec: template["spec"] ?? {},
  };
  return { pod, path: path.join(".") };
}

/**
 * The admission of the Pod a workload request's template stands for: a CREATE, whether the workload is
 * created or updated, since an edited template means new pods. Undefined for anything else (a DELETE, a
 * subresource, a kind of another API group).
 */
export function templateRequest(request: AdmissionRequest): { request: AdmissionRequest; path: string } | undefined {
  const workload = WORKLOADS[request.kind.kind];
  if (!workload || workload.group !== request.kind.group || request.subResource || !request.object) return undefined;
  const template = podFromTemplate(request.object);
  if (!template) return undefined;
  const pods = { group: "", version: "v1", resource: "pods" };
  return {
    path: template.path,
    request: {
      uid: request.uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: pods,
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: pods,
      ...(request.namespace ? { namespace: request.namespace } : {}),
      operation: "CREATE",
      ...(request.userInfo ? { userInfo: request.userInfo } : {}),
      object: template.pod,
      oldObject: null,
      ...(request.dryRun === undefined ? {} : { dryRun: request.dryRun }),
      options: null,
    },
  };
}

function describe(object: KubeObject, request: AdmissionRequest): string {
  const name = request.namespace ? `${request.namespace}/${request.name ?? ""}` : (request.name ?? "");
  return `${str(object["kind"]) || "(no kind)"} ${name}`;
}

/** Every admission a manifest stands for; a workload's template target carries the template's path. */
export function targetsOf(object: KubeObject, operation: Operation = "CREATE"): Target[] {
  const request = requestFor(object, operation);
  const name = str(metadataOf(object)["name"]);
  const targets: Target[] = [{ label: describe(object, request), name, request, manifest: object }];
  const template = templateRequest(request);
  if (template) targets.push({ label: `${describe(object, request)} (${template.path})`, name, request: template.request, template: template.path, manifest: object });
  return targets;
}

// Binding through the API: POST pods/binding, idempotent. A retried bind
// of a pod already on the requested node succeeds; on another node it fails.
import type { KubeConfig } from "@kubernetes/client-node";
import { kubeRequest } from "../src/kube/api-request.ts";
import { KubeApiError, statusOf } from "../src/kube/errors.ts";
import type { ExtenderBindingArgs } from "./wire.ts";
import type { Binder } from "./verbs.ts";

/** The API calls bind needs, so tests can stand in for the apiserver. Failures throw KubeApiError. */
export interface BindingApi {
  createBinding(args: ExtenderBindingArgs): Promise<void>;
  /** The pod's uid and spec.nodeName, or undefined when it does not exist. */
  readPod(namespace: string, name: string): Promise<{ uid: string; nodeName: string } | undefined>;
}

const segment = encodeURIComponent;

export function kubeBindingApi(kubeConfig: KubeConfig): BindingApi {
  const request = kubeRequest(kubeConfig);
  return {
    async createBinding(args) {
      await request("POST", `/api/v1/namespaces/${segment(args.PodNamespace)}/bindings`, {
        apiVersion: "v1",
        kind: "Binding",
        // The uid makes the apiserver refuse to bind a recreated pod of the same name.
        metadata: { name: args.PodName, namespace: args.PodNamespace, ...(args.PodUID ? { uid: args.PodUID } : {}) },
        target: { apiVersion: "v1", kind: "Node", name: args.Node },
      });
    },
    async readPod(namespace, name) {
      try {
        const pod = (await request("GET", `/api/v1/namespaces/${segment(namespace)}/pods/${segment(name)}`)) as { metadata?: { uid?: string }; spec?: { nodeName?: string } };
        return { uid: pod.metadata?.uid ?? "", nodeName: pod.spec?.nodeName ?? "" };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
  };
}

const describe = (error: unknown) => (error instanceof KubeApiError ? `HTTP ${error.status}: ${error.body.slice(0, 300)}` : (error as Error).message);

export function apiBinder(api: BindingApi): Binder {
  return {
    async bind(args) {
      const pod = `${args.PodNamespace}/${args.PodName}`;
      try {
        await api.createBinding(args);
        return "";
      } catch (error) {
        // 409: already bound (by us on a retry, or by someone else). Anything else is a real failure.
        if (statusOf(error) !== 409) return `binding pod ${pod} to node ${args.Node} failed: ${describe(error)}`;
      }
      try {
        const current = await api.readPod(args.PodNamespace, args.PodName);
        if (!current) return `pod ${pod} no longer exists`;
        if (args.PodUID && current.uid !== args.PodUID) return `pod ${pod} was recreated (uid ${current.uid}, asked to bind ${args.PodUID})`;
        if (current.nodeName === args.Node) return "";
        return `pod ${pod} is already bound to node ${current.nodeName || "(none)"}, not ${args.Node}`;
      } catch (error) {
        return `binding pod ${pod} conflicted and reading it back failed: ${describe(error)}`;
      }
    },
  };
}

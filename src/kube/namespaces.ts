// The server's view of Namespaces (config `namespaces.watch`): one list+watch,
// so each admission request can carry its Namespace (namespaceObject) and
// policies can apply their own namespaceSelectors, as they do offline.
// Readiness waits for the first list; a failed watch restarts with backoff.
import type { KubernetesObject, ListWatch } from "@kubernetes/client-node";
import type { KubeObject } from "../admission/review.ts";
import type { NamespacesConfig } from "../config/schema.ts";
import type { Extension } from "../server/serve.ts";

const RETRY_MS = { min: 1000, max: 30000 };

export function namespacesExtension(settings: NamespacesConfig): Extension {
  let informer: ListWatch<KubernetesObject> | undefined;
  return {
    name: "namespaces",
    namespaceOf: (name) => informer?.get(name) as KubeObject | undefined,
    async start({ readiness, log }) {
      // Imported here: the Kubernetes client costs ~85 MB of RSS, paid only when a feature needs the API.
      const [{ CoreV1Api, ListWatch, Watch }, { loadKubeConfig }] = await Promise.all([import("@kubernetes/client-node"), import("./client.ts")]);
      let kubeConfig;
      try {
        kubeConfig = loadKubeConfig(settings.kubeconfig);
      } catch (error) {
        throw new Error(`namespaces.watch needs the Kubernetes API, but no kubeconfig could be loaded: ${(error as Error).message}`, { cause: error });
      }
      const api = kubeConfig.makeApiClient(CoreV1Api);
      let synced = false;
      let stopped = false;
      let delay = RETRY_MS.min;
      let timer: NodeJS.Timeout | undefined;
      readiness.add("namespaces", () => (synced ? undefined : "waiting for the first list of namespaces"));
      const list = async () => {
        const namespaces = await api.listNamespace();
        if (!synced) log.info({ count: namespaces.items.length }, "namespaces synced");
        synced = true;
        delay = RETRY_MS.min;
        return namespaces;
      };
      const watching = new ListWatch<KubernetesObject>("/api/v1/namespaces", new Watch(kubeConfig), list, false);
      // ListWatch stops for good after an error other than 410 Gone: restart it, backing off.
      watching.on("error", (error: unknown) => {
        if (stopped) return;
        log.warn({ err: error, retryInMs: delay }, "namespace watch failed; restarting");
        timer = setTimeout(() => void watching.start(), delay);
        delay = Math.min(delay * 2, RETRY_MS.max);
      });
      informer = watching;
      void watching.start();
      return async () => {
        stopped = true;
        clearTimeout(timer);
        await watching.stop();
      };
    },
  };
}

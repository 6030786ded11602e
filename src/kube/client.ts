// Where podgate finds the Kubernetes API: an explicit kubeconfig, else
// in-cluster service-account credentials, else $KUBECONFIG / ~/.kube/config.
import { createConfiguration, KubeConfig, ServerConfiguration, type ApiConstructor, type ApiType, type RequestContext, type SecurityAuthentication } from "@kubernetes/client-node";

export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else if (process.env["KUBERNETES_SERVICE_HOST"]) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) throw new Error(`no Kubernetes cluster in ${path ?? "the default kubeconfig"}`);
  return kubeConfig;
}

/**
 * An API client whose calls share one keep-alive connection pool. client-node's
 * own `makeApiClient` builds a new undici Agent per request, so every call pays
 * a TCP + TLS handshake with client-certificate verification at the apiserver —
 * costly for the extender's bind, one call per scheduled pod (505 → 72 ms mean in
 * the flow bench, docs/benchmarks.md).
 * Authentication still runs per call (tokens, exec plugins refresh); only the
 * first call's dispatcher is kept, so a rotated client certificate needs a restart.
 */
export function keepAliveApiClient<T extends ApiType>(kubeConfig: KubeConfig, apiClass: ApiConstructor<T>): T {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error("no Kubernetes cluster in the kubeconfig");
  let shared: ReturnType<RequestContext["getDispatcher"]>;
  const auth: SecurityAuthentication = {
    getName: () => "kubeconfig, shared keep-alive dispatcher",
    async applySecurityAuthentication(context: RequestContext) {
      await kubeConfig.applySecurityAuthentication(context);
      shared ??= context.getDispatcher();
      if (shared) context.setDispatcher(shared);
    },
  };
  return new apiClass(createConfiguration({ baseServer: new ServerConfiguration(cluster.server, {}), authMethods: { default: auth } }));
}

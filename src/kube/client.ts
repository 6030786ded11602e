// Where podgate finds the Kubernetes API: an explicit kubeconfig, else
// in-cluster service-account credentials, else $KUBECONFIG / ~/.kube/config.
import { KubeConfig } from "@kubernetes/client-node";

export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else if (process.env["KUBERNETES_SERVICE_HOST"]) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) throw new Error(`no Kubernetes cluster in ${path ?? "the default kubeconfig"}`);
  return kubeConfig;
}

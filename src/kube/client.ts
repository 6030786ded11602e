// Where podgate finds the Kubernetes API: an explicit kubeconfig, else
// in-cluster service-account credentials, else $KUBECONFIG / ~/.kube/config.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

/** The default kubeconfig files client-go reads: $KUBECONFIG's list, else ~/.kube/config. */
function defaultKubeconfigFiles(): string[] {
  const fromEnv = process.env["KUBECONFIG"];
  if (fromEnv) return fromEnv.split(delimiter).filter((file) => file !== "");
  return [join(homedir(), ".kube", "config")];
}

export function loadKubeConfig(path?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else if (process.env["KUBERNETES_SERVICE_HOST"]) kubeConfig.loadFromCluster();
  else {
    // With no file, client-node falls back to http://localhost:8080 and every call then fails far from here; refuse now instead.
    const files = defaultKubeconfigFiles();
    if (!files.some((file) => existsSync(file))) {
      throw new Error(`no Kubernetes credentials: not in a pod (KUBERNETES_SERVICE_HOST unset) and no kubeconfig at ${files.join(", ")}; pass --kubeconfig or set KUBECONFIG`);
    }
    kubeConfig.loadFromDefault();
  }
  if (!kubeConfig.getCurrentCluster()) throw new Error(`no Kubernetes cluster in ${path ?? "the default kubeconfig"}`);
  return kubeConfig;
}

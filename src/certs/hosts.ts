// The DNS names of a Service, apart from certificate generation so that
// reading the config does not load node-forge.

/** The DNS names a Service is reached by from inside the cluster. */
export function serviceHosts(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

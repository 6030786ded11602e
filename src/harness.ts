// podgate/harness: users' e2e tests on a real control plane (kube-apiserver,
// etcd, kube-controller-manager, kube-scheduler, kwok nodes) with their
// podgate project served in it. `podgate e2e` starts one and runs the tests,
// which call connectCluster(); a test may also start its own with
// startCluster(). See docs/e2e-harness.md.
export { Cluster, clusterOptions, connectCluster, E2E_NAMESPACE_LABEL, startCluster, type ClusterOptions, type PodStage } from "./harness/cluster.ts";
export { DEFAULT_NODES, fakeNodeSpec, type FakeNodeSpec } from "./harness/nodes.ts";
export { formatTimeline, type TimelineRow } from "./harness/timeline.ts";

// The pods of recent filter calls, by uid. After a successful bind the
// extender counts the pod on its node at once (kube-scheduler's "assume"), so
// the next cycle's fit and scores see it before the informer reports the
// binding, which trails by a watch round trip. Bounded: the oldest go first.
import type { Pod } from "../wire.ts";

export class RecentPods {
  private readonly pods = new Map<string, Pod>();
  private readonly limit: number;

  constructor(limit = 1000) {
    this.limit = limit;
  }

  remember(pod: Pod): void {
    const uid = pod.metadata.uid;
    if (!uid) return;
    this.pods.delete(uid);
    this.pods.set(uid, pod);
    if (this.pods.size > this.limit) this.pods.delete(this.pods.keys().next().value!);
  }

  /** The pod, forgotten: a pod is bound once. */
  take(uid: string): Pod | undefined {
    const pod = this.pods.get(uid);
    this.pods.delete(uid);
    return pod;
  }

  get size(): number {
    return this.pods.size;
  }
}

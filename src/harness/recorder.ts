// Records when each pod of a namespace reaches persisted / bound / running /
// ready, as a watch on the real apiserver delivers them, and merges in the
// client's create time and podgate's log stages for the printed timeline.
import { Watch, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { formatTimeline, podgateStages, readPodgateLog, type PodStages, type TimelineRow } from "./timeline.ts";

export const isReady = (pod: V1Pod) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;

export class PodRecorder {
  readonly namespace: string;
  private readonly logFile: string | undefined;
  private readonly stages = new Map<string, PodStages>();
  private readonly nodes = new Map<string, string>();
  private request: { abort(): void } | undefined;

  private constructor(namespace: string, logFile: string | undefined) {
    this.namespace = namespace;
    this.logFile = logFile;
  }

  /** Watches `namespace`; `logFile` is podgate's log when it runs on this machine. */
  static async start(kubeConfig: KubeConfig, namespace: string, logFile?: string): Promise<PodRecorder> {
    const recorder = new PodRecorder(namespace, logFile);
    recorder.request = await new Watch(kubeConfig).watch(
      `/api/v1/namespaces/${namespace}/pods`,
      {},
      (_type: string, pod: V1Pod) => recorder.observe(pod, Date.now()),
      () => undefined,
    );
    return recorder;
  }

  private observe(pod: V1Pod, now: number): void {
    const name = pod.metadata?.name;
    if (!name) return;
    const s = this.stages.get(name) ?? {};
    s.persisted ??= now;
    if (pod.spec?.nodeName) {
      s.bound ??= now;
      this.nodes.set(name, pod.spec.nodeName);
    }
    if (pod.status?.phase === "Running") s.running ??= now;
    if (isReady(pod)) s.ready ??= now;
    this.stages.set(name, s);
  }

  /** The client's create time (taken just before the create call). */
  created(name: string, at: number): void {
    const s = this.stages.get(name) ?? {};
    s.created = at;
    this.stages.set(name, s);
  }

  stop(): void {
    this.request?.abort();
  }

  /** Rows for the named pods (all seen pods by default), with podgate's log stages when local. */
  async rows(names?: readonly string[]): Promise<TimelineRow[]> {
    const lines = this.logFile ? await readPodgateLog(this.logFile) : [];
    return (names ?? [...this.stages.keys()]).map((pod) => ({
      pod,
      node: this.nodes.get(pod),
      stages: { ...podgateStages(lines, this.namespace, pod), ...this.stages.get(pod) },
    }));
  }

  /** When the watch saw each pod bound to a node. */
  boundTimes(): number[] {
    return [...this.stages.values()].flatMap((s) => (s.bound === undefined ? [] : [s.bound]));
  }

  async print(title: string, names?: readonly string[]): Promise<TimelineRow[]> {
    const rows = await this.rows(names);
    process.stdout.write(`\n${title} (ms after the client's create)\n${formatTimeline(rows)}\n`);
    return rows;
  }
}

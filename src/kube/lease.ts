// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it:
// a holder renews; another replica takes over only after it has watched the
// record stay unchanged for a full lease duration on its own clock (so clock
// skew between nodes does not matter). The decision is pure; the API is thin.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { apiError, statusOf } from "./errors.ts";

export interface LeaseRecord {
  readonly holder?: string;
  readonly durationSeconds?: number;
  readonly acquireTime?: Date;
  readonly renewTime?: Date;
  readonly transitions?: number;
}

export type LeaseStep =
  | { readonly action: "create" }
  | { readonly action: "renew" }
  | { readonly action: "acquire"; readonly reason: string }
  | { readonly action: "follow"; readonly holder: string; readonly expiresAt: Date };

/**
 * What this replica should do with the lease. `observedAt` is when this replica
 * first saw the record in its current version.
 */
export function leaseStep(record: LeaseRecord | undefined, identity: string, observedAt: Date, now: Date, durationSeconds: number): LeaseStep {
  if (!record) return { action: "create" };
  if (record.holder === identity) return { action: "renew" };
  if (!record.holder) return { action: "acquire", reason: "lease released" };
  const expiresAt = new Date(observedAt.getTime() + (record.durationSeconds ?? durationSeconds) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { action: "acquire", reason: `${record.holder} stopped renewing` };
  return { action: "follow", holder: record.holder, expiresAt };
}

/** The record to write for a create, renew or acquire step. */
export function nextRecord(step: LeaseStep, record: LeaseRecord | undefined, identity: string, now: Date, durationSeconds: number): LeaseRecord {
  if (step.action === "renew") return { ...record, holder: identity, durationSeconds, renewTime: now };
  return { holder: identity, durationSeconds, acquireTime: now, renewTime: now, transitions: (record?.transitions ?? -1) + 1 };
}

/** Reads and writes one Lease; `version` is the resourceVersion, so concurrent writers conflict. */
export interface LeaseApi {
  read(): Promise<{ readonly record: LeaseRecord; readonly version: string } | undefined>;
  create(record: LeaseRecord): Promise<void>;
  replace(record: LeaseRecord, version: string): Promise<void>;
}

export interface ElectorOptions {
  readonly identity: string;
  readonly durationSeconds: number;
  readonly now?: () => Date;
}

export class LeaderElector {
  readonly #api: LeaseApi;
  readonly #options: ElectorOptions;
  #observed: { version: string; at: Date } | undefined;
  #leader = false;

  constructor(api: LeaseApi, options: ElectorOptions) {
    this.#api = api;
    this.#options = options;
  }

  get isLeader(): boolean {
    return this.#leader;
  }

  /** One round: create, renew or take over the lease if this replica may; resolves to whether it leads now. */
  async tryLead(): Promise<boolean> {
    try {
      return (this.#leader = await this.#round());
    } catch (error) {
      // A leader that cannot renew must not act as one: another replica may take over meanwhile.
      this.#leader = false;
      // Another replica wrote first: it leads this round.
      if (statusOf(error) === 409) return false;
      throw error;
    }
  }

  async #round(): Promise<boolean> {
    const { identity, durationSeconds } = this.#options;
    const now = (this.#options.now ?? (() => new Date()))();
    const current = await this.#api.read();
    if (current && current.version !== this.#observed?.version) this.#observed = { version: current.version, at: now };
    const step = leaseStep(current?.record, identity, this.#observed?.at ?? now, now, durationSeconds);
    if (step.action === "follow") return false;
    const record = nextRecord(step, current?.record, identity, now, durationSeconds);
    if (current) await this.#api.replace(record, current.version);
    else await this.#api.create(record);
    return true;
  }

  /** Gives the lease up so another replica need not wait for it to expire. */
  async release(): Promise<void> {
    if (!this.#leader) return;
    this.#leader = false;
    const current = await this.#api.read();
    if (!current || current.record.holder !== this.#options.identity) return;
    const { holder: _holder, ...rest } = current.record;
    await this.#api.replace({ ...rest, durationSeconds: 1 }, current.version);
  }
}

function toRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    ...(spec.holderIdentity ? { holder: spec.holderIdentity } : {}),
    ...(spec.leaseDurationSeconds !== undefined ? { durationSeconds: spec.leaseDurationSeconds } : {}),
    ...(spec.acquireTime ? { acquireTime: new Date(spec.acquireTime) } : {}),
    ...(spec.renewTime ? { renewTime: new Date(spec.renewTime) } : {}),
    ...(spec.leaseTransitions !== undefined ? { transitions: spec.leaseTransitions } : {}),
  };
}

function micro(date: Date | undefined): V1MicroTime | undefined {
  return date ? new V1MicroTime(date.getTime()) : undefined;
}

/** The Lease API of a cluster. */
export function kubeLeaseApi(kubeConfig: KubeConfig, namespace: string, name: string): LeaseApi {
  const api = kubeConfig.makeApiClient(CoordinationV1Api);
  const body = (record: LeaseRecord, version?: string): V1Lease => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(version ? { resourceVersion: version } : {}) },
    spec: {
      ...(record.holder ? { holderIdentity: record.holder } : {}),
      ...(record.durationSeconds !== undefined ? { leaseDurationSeconds: record.durationSeconds } : {}),
      ...(record.acquireTime ? { acquireTime: micro(record.acquireTime)! } : {}),
      ...(record.renewTime ? { renewTime: micro(record.renewTime)! } : {}),
      ...(record.transitions !== undefined ? { leaseTransitions: record.transitions } : {}),
    },
  });
  const what = `lease ${namespace}/${name}`;
  // A conflict passes through untouched: the elector treats it as losing the round.
  const rethrow = (action: string) => (error: unknown) => {
    throw statusOf(error) === 409 ? error : apiError(`${action} ${what}`, error);
  };
  return {
    async read() {
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        return { record: toRecord(lease), version: lease.metadata?.resourceVersion ?? "" };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw apiError(`reading ${what}`, error);
      }
    },
    async create(record) {
      await api.createNamespacedLease({ namespace, body: body(record) }).catch(rethrow("creating"));
    },
    async replace(record, version) {
      await api.replaceNamespacedLease({ name, namespace, body: body(record, version) }).catch(rethrow("updating"));
    },
  };
}

// An in-memory Lease with resourceVersions that conflict like the apiserver's.
import { ApiException } from "@kubernetes/client-node";
import type { LeaseApi, LeaseRecord } from "../../src/kube/lease.ts";

export class MemoryLease implements LeaseApi {
  record: LeaseRecord | undefined;
  version = 0;
  /** Set to make every call fail as if the apiserver were unreachable. */
  down = false;

  #check() {
    if (this.down) throw new Error("connection refused");
  }

  read() {
    this.#check();
    return Promise.resolve(this.record ? { record: { ...this.record }, version: String(this.version) } : undefined);
  }

  create(record: LeaseRecord) {
    this.#check();
    if (this.record) return Promise.reject(new ApiException(409, "AlreadyExists", {}, {}));
    this.record = { ...record };
    this.version++;
    return Promise.resolve();
  }

  replace(record: LeaseRecord, version: string) {
    this.#check();
    if (version !== String(this.version)) return Promise.reject(new ApiException(409, "Conflict", {}, {}));
    this.record = { ...record };
    this.version++;
    return Promise.resolve();
  }
}

// Seeded random pods for the differential test: every field a Pod Security
// Standards check reads, with allowed, forbidden and edge values (empty
// strings, empty objects, zero, unset), in every kind of container. Windows
// pods leave out the fields the apiserver's validation forbids for them, so
// every pod could reach admission in those respects (PodSecurity's restricted
// checks exempt Windows pods from checks that then cannot apply).

import { random } from "../support/random.ts";

type Json = Record<string, unknown>;

class Draw {
  readonly next: () => number;
  /** Scales the chance of setting each optional field: low for the pods that start out compliant. */
  rate = 1;
  constructor(seed: number) {
    this.next = random(seed);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  some<T>(items: readonly T[], max: number): T[] {
    const n = this.int(0, max);
    return Array.from({ length: n }, () => this.pick(items));
  }
  /** Sets key on target to a drawn value, or leaves it unset. */
  maybe(target: Json, key: string, p: number, value: () => unknown): void {
    if (this.chance(p * this.rate)) target[key] = value();
  }
}

const CAPABILITIES = ["AUDIT_WRITE", "CHOWN", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "NET_RAW", "SYS_ADMIN", "SYS_TIME", "ALL", "BPF", ""];
const SYSCTLS = [
  "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
  "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem", "kernel.msgmax", "net.core.somaxconn", "vm.swappiness",
];
const PROFILE_TYPES = ["RuntimeDefault", "Localhost", "Unconfined", "", "Bogus"];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", "spc_t", "unconfined_t"];
const APPARMOR_ANNOTATION_VALUES = ["runtime/default", "localhost/profile", "localhost/", "unconfined", "", "docker/default", "bogus"];
const SECCOMP_ANNOTATION_VALUES = ["runtime/default", "docker/default", "localhost/profile", "unconfined", "", "bogus"];
const VOLUMES: readonly (readonly [string, Json | null])[] = [
  ["hostPath", { path: "/var/run" }], ["emptyDir", {}], ["configMap", { name: "c" }], ["secret", { secretName: "s" }],
  ["persistentVolumeClaim", { claimName: "p" }], ["projected", { sources: [] }], ["downwardAPI", { items: [] }],
  ["csi", { driver: "d" }], ["ephemeral", { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } }],
  ["image", { reference: "registry.k8s.io/pause" }], ["nfs", { server: "s", path: "/" }], ["gitRepo", { repository: "r" }],
  ["iscsi", { targetPortal: "t", iqn: "i", lun: 0 }], ["cephfs", { monitors: ["m"] }], ["fc", { wwids: ["w"] }], ["flexVolume", { driver: "d" }],
  ["rbd", { monitors: ["m"], image: "i" }], ["azureFile", { secretName: "s", shareName: "s" }], ["", null],
];

function profile(d: Draw): Json {
  const type = d.pick(PROFILE_TYPES);
  return type === "Localhost" && d.chance(0.8) ? { type, localhostProfile: "p.json" } : { type };
}

function seLinux(d: Draw): Json {
  const options: Json = {};
  d.maybe(options, "type", 0.6, () => d.pick(SELINUX_TYPES));
  d.maybe(options, "user", 0.2, () => d.pick(["", "system_u"]));
  d.maybe(options, "role", 0.2, () => d.pick(["", "system_r"]));
  d.maybe(options, "level", 0.2, () => "s0:c1,c2");
  return options;
}

function handler(d: Draw, probe: boolean): Json {
  const host = () => d.pick(["", "", "example.com", "127.0.0.1"]);
  const kind = d.pick(probe ? ["httpGet", "tcpSocket", "exec", "grpc"] : ["httpGet", "tcpSocket", "exec", "sleep"]);
  const h: Json = {};
  if (kind === "httpGet") h[kind] = d.chance(0.6) ? { port: 8080, host: host() } : { port: 8080 };
  else if (kind === "tcpSocket") h[kind] = d.chance(0.6) ? { port: 8080, host: host() } : { port: 8080 };
  else if (kind === "exec") h[kind] = { command: ["true"] };
  else if (kind === "grpc") h[kind] = { port: 9090 };
  else h[kind] = { seconds: 1 };
  return h;
}

/** What the restricted level asks of a container; a compliant pod's containers start from it. */
const restrictedContainer = (windows: boolean): Json =>
  windows ? { runAsNonRoot: true } : { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };

function securityContext(d: Draw, windows: boolean, base: Json = {}): Json {
  const sc: Json = structuredClone(base);
  if (!windows) {
    d.maybe(sc, "privileged", 0.25, () => d.chance(0.5));
    d.maybe(sc, "allowPrivilegeEscalation", 0.5, () => d.chance(0.3));
    d.maybe(sc, "runAsUser", 0.3, () => d.pick([0, 1000, 65534]));
    d.maybe(sc, "procMount", 0.15, () => d.pick(["Default", "Unmasked"]));
    d.maybe(sc, "seccompProfile", 0.3, () => profile(d));
    d.maybe(sc, "appArmorProfile", 0.15, () => profile(d));
    d.maybe(sc, "seLinuxOptions", 0.2, () => seLinux(d));
    d.maybe(sc, "capabilities", 0.6, () => {
      const caps: Json = {};
      d.maybe(caps, "drop", 0.7, () => (d.chance(0.6) ? ["ALL"] : d.some(CAPABILITIES, 2)));
      d.maybe(caps, "add", 0.4, () => d.some(CAPABILITIES, 2));
      return caps;
    });
  }
  d.maybe(sc, "runAsNonRoot", 0.5, () => d.chance(0.7));
  d.maybe(sc, "windowsOptions", 0.1, () => (d.chance(0.8) ? { hostProcess: d.chance(0.5) } : {}));
  return sc;
}

function container(d: Draw, name: string, windows: boolean, ephemeral: boolean): Json {
  const c: Json = { name, image: "registry.k8s.io/pause" };
  if (d.rate < 1) c["securityContext"] = securityContext(d, windows, restrictedContainer(windows));
  else if (d.chance(0.8)) c["securityContext"] = securityContext(d, windows);
  if (!ephemeral) d.maybe(c, "ports", 0.2, () => [d.chance(0.5) ? { containerPort: 80, hostPort: d.pick([0, 80, 8080]) } : { containerPort: 80 }]);
  for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) d.maybe(c, probe, 0.12, () => handler(d, true));
  d.maybe(c, "lifecycle", 0.12, () => {
    const l: Json = {};
    d.maybe(l, "postStart", 0.6, () => handler(d, false));
    d.maybe(l, "preStop", 0.6, () => handler(d, false));
    return l;
  });
  return c;
}

/**
 * One random pod; the same seed, index and options always give the same pod.
 * Half (compliantShare) start out meeting the restricted level and get a few random fields on top,
 * so the levels' verdicts are tested near the boundary too, not only on pods
 * that break several checks at once.
 */
export function randomPod(seed: number, index: number, options: { compliantShare?: number; ephemeral?: boolean } = {}): Json {
  const d = new Draw((seed * 2654435761 + index * 40503) >>> 0);
  if (d.chance(options.compliantShare ?? 0.5)) d.rate = 0.12;
  const windows = d.chance(0.12);
  const spec: Json = {};
  const containers = Array.from({ length: d.int(1, 3) }, (_, i) => container(d, `c${i}`, windows, false));
  spec["containers"] = containers;
  d.maybe(spec, "initContainers", 0.35, () => Array.from({ length: d.int(1, 2) }, (_, i) => container(d, `init${i}`, windows, false)));
  // (The apiserver refuses ephemeral containers on create; the e2e leaves them out.)
  if (options.ephemeral ?? true) d.maybe(spec, "ephemeralContainers", 0.15, () => [{ ...container(d, "debug", windows, true), targetContainerName: "c0" }]);
  if (windows) spec["os"] = { name: "windows" };
  else d.maybe(spec, "os", 0.1, () => ({ name: "linux" }));
  d.maybe(spec, "hostNetwork", 0.1, () => d.chance(0.5));
  if (!windows) {
    d.maybe(spec, "hostPID", 0.08, () => d.chance(0.5));
    d.maybe(spec, "hostIPC", 0.08, () => d.chance(0.5));
    d.maybe(spec, "hostUsers", 0.3, () => d.chance(0.3));
  }
  if (d.chance(0.75)) {
    const sc = securityContext(d, windows);
    for (const key of ["privileged", "allowPrivilegeEscalation", "procMount", "capabilities"]) delete sc[key];
    if (!windows) d.maybe(sc, "sysctls", 0.2, () => d.some(SYSCTLS, 3).map((name) => ({ name, value: "1" })));
    spec["securityContext"] = sc;
  }
  d.maybe(spec, "volumes", 0.4, () =>
    Array.from({ length: d.int(1, 3) }, (_, i) => {
      const [type, source] = d.pick(VOLUMES);
      return source === null ? { name: `v${i}` } : { name: `v${i}`, [type]: source };
    }),
  );
  const names = [...containers, ...((spec["initContainers"] as Json[] | undefined) ?? []), ...((spec["ephemeralContainers"] as Json[] | undefined) ?? [])].map((c) => c["name"] as string);
  const annotations: Json = {};
  if (!windows) {
    for (const name of names) {
      d.maybe(annotations, `container.apparmor.security.beta.kubernetes.io/${name}`, 0.08, () => d.pick(APPARMOR_ANNOTATION_VALUES));
      d.maybe(annotations, `container.seccomp.security.alpha.kubernetes.io/${name}`, 0.08, () => d.pick(SECCOMP_ANNOTATION_VALUES));
    }
    d.maybe(annotations, "seccomp.security.alpha.kubernetes.io/pod", 0.08, () => d.pick(SECCOMP_ANNOTATION_VALUES));
  }
  const metadata: Json = { name: `pod-${seed}-${index}` };
  if (Object.keys(annotations).length > 0 || d.chance(0.05)) metadata["annotations"] = annotations;
  return { apiVersion: "v1", kind: "Pod", metadata, spec };
}

// What the real node may change on this machine, read before it starts and
// after it is torn down: the harness fails if the two differ. Each part is a
// sorted list of lines, so a difference names exactly what was left behind
// (or removed): iptables rules, links and addresses, routes and rules,
// mounts, cgroups, the sysctls kubelet/containerd/CNI are known to write, the
// host paths they use outside their own directories, and processes.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Written by kubelet at start (setupKernelTunables), by container runtimes and
 * CNI plugins on some machines, or by systemd inside a node container.
 */
export const WATCHED_SYSCTLS = [
  "vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
  "kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
  "net/ipv4/ip_forward", "net/ipv4/conf/all/forwarding", "net/ipv4/conf/all/route_localnet",
  "net/ipv6/conf/all/forwarding", "net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables",
  "fs/file-max", "fs/nr_open", "fs/inotify/max_user_instances", "fs/inotify/max_user_watches",
  "fs/protected_hardlinks", "fs/protected_symlinks", "fs/protected_fifos", "fs/protected_regular",
] as const;

/** Host paths the node's parts use outside the harness's own directory (listed recursively, two levels). */
export const WATCHED_PATHS = ["/run/containerd", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/run/netns", "/var/lib/kubelet", "/etc/cni"] as const;

export type MachineState = Readonly<Record<string, readonly string[]>>;

async function lines(command: string, args: readonly string[]): Promise<string[]> {
  try {
    const { stdout } = await run(command, args, { maxBuffer: 64 << 20 });
    return stdout.split("\n").filter((l) => l.trim() !== "");
  } catch (error) {
    return [`(${command} ${args.join(" ")} failed: ${(error as Error).message.split("\n")[0]})`];
  }
}

/** iptables-save without counters and timestamps: the rules and chains only. */
export function normalizeIptables(text: readonly string[]): string[] {
  return text.filter((l) => !l.startsWith("#")).map((l) => l.replace(/\[\d+:\d+\]/g, "[-]"));
}

function walk(path: string, depth: number): string[] {
  if (!existsSync(path)) return [];
  const out = [path];
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return [`${path} -> ${readlinkSync(path)}`];
  }
  if (!stat.isDirectory() || depth === 0) return out;
  for (const entry of readdirSync(path)) out.push(...walk(join(path, entry), depth - 1));
  return out;
}

/** Cgroup directories two levels deep under every mounted hierarchy. */
function cgroups(): string[] {
  const root = "/sys/fs/cgroup";
  if (!existsSync(root)) return [];
  const isDir = (p: string) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  };
  const out: string[] = [];
  const level = (dir: string, depth: number) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      if (!isDir(p)) continue;
      out.push(p);
      if (depth > 1) level(p, depth - 1);
    }
  };
  level(root, 3);
  return out;
}

function sysctl(name: string): string {
  try {
    return `${name.replaceAll("/", ".")} = ${readFileSync(join("/proc/sys", name), "utf8").trim()}`;
  } catch {
    return `${name.replaceAll("/", ".")} (absent)`;
  }
}

/** Processes whose command line mentions `marker` (the real node's work dir). */
export function processesMentioning(marker: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      if (cmdline.includes(marker)) out.push(`${pid} ${cmdline.slice(0, 200)}`);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

export async function readMachineState(marker: string): Promise<MachineState> {
  const mountinfo = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter(Boolean).map((l) => {
    const f = l.split(" ");
    const dash = f.indexOf("-");
    return `${f[4]} ${f[dash + 1]} ${f[dash + 2]}`;
  });
  const [ip4, ip6, links, addrs, routes, rules] = await Promise.all([
    lines("iptables-save", []),
    lines("ip6tables-save", []),
    lines("ip", ["-o", "link", "show"]),
    lines("ip", ["-o", "addr", "show"]),
    lines("ip", ["route", "show", "table", "all"]),
    lines("ip", ["rule", "show"]),
  ]);
  const sorted = (l: readonly string[]) => [...l].sort();
  return {
    iptables: sorted(normalizeIptables(ip4)),
    ip6tables: sorted(normalizeIptables(ip6)),
    // link lines carry counters-free state but also the ifindex, which is stable for links that stay.
    links: sorted(links.map((l) => l.replace(/\\\s+link\/.*$/, ""))),
    addresses: sorted(addrs.map((l) => l.replace(/\\\s+valid_lft.*$/, ""))),
    routes: sorted(routes),
    rules: sorted(rules),
    mounts: sorted(mountinfo),
    cgroups: sorted(cgroups()),
    sysctls: WATCHED_SYSCTLS.map(sysctl),
    paths: sorted(WATCHED_PATHS.flatMap((p) => walk(p, 2))),
    processes: sorted(processesMentioning(marker)),
  };
}

/** Lines added or removed per part, e.g. ["mounts: + /tmp/x overlay overlay"]; empty when equal. */
export function diffMachineState(before: MachineState, after: MachineState): string[] {
  const out: string[] = [];
  for (const part of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = new Set(before[part] ?? []);
    const b = new Set(after[part] ?? []);
    for (const l of b) if (!a.has(l)) out.push(`${part}: + ${l}`);
    for (const l of a) if (!b.has(l)) out.push(`${part}: - ${l}`);
  }
  return out;
}

// The Worker's own CPU time, and each program's memory, sampled from /proc around a bench run.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

interface ProcessStat {
  pid: number;
  parent: number;
  /** CPU ticks, user + system. */
  cpu: number;
}

/** A process and all its descendants, from /proc. */
function processTree(root: number): ProcessStat[] {
  const stats = new Map<number, ProcessStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15).
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), {
        pid: Number(entry),
        parent: Number(fields[1]),
        cpu: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // The process ended meanwhile.
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, { parent }] of stats) {
      if (tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return [...tree].flatMap((pid) => stats.get(pid) ?? []);
}

/**
 * CPU seconds used so far by a process and all its descendants (wrangler and its workerd), from
 * /proc: what the Worker itself spends, apart from the load generator and the stand-ins for
 * remote services (PostgreSQL, the Upstash bridge, redis-server) that share this machine.
 */
export function treeCpuSeconds(root: number): number {
  return processTree(root).reduce((sum, stat) => sum + stat.cpu, 0) / CLOCK_TICKS;
}

/** Private (anonymous) memory of a process in KiB, proportional: its heap, not shared or file pages. */
function privateKiB(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss_Anon:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
  } catch {
    return 0; // the process ended meanwhile
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}

/**
 * The program a process runs, by command name (`postgres`, `redis-server`, …; `root` for the
 * root). `wrangler dev` runs two workerd processes: the one that runs the Worker (started with a
 * DevTools inspector address) and wrangler's dev proxy in front of it, which relays each request;
 * they are told apart, and workerd processes of other wrangler instances than `server` are grouped.
 */
function programOf(pid: number, root: number, server: ReadonlySet<number>): string {
  if (pid === root) return "root";
  const command = commandOf(pid);
  if (command !== "workerd") return command;
  if (!server.has(pid)) return "workerd (other instances)";
  let args: string[] = [];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    // ended meanwhile
  }
  return args.some((arg) => arg.startsWith("--inspector-addr"))
    ? "workerd (Worker)"
    : "workerd (wrangler proxy)";
}

/**
 * Private memory of each program under `root`, in MiB (see programOf). Private, not RSS or PSS:
 * what grows when a program leaks is its heap. PostgreSQL's shared buffers are a cache of fixed
 * size that its backends fill as tables grow (counted in PSS, they would grow for as long as the
 * data does), and RSS would count a shared page in every process that touched it.
 */
export function memoryByProgram(root: number, serverPid: number): Record<string, number> {
  const server = new Set(processTree(serverPid).map(({ pid }) => pid));
  const programs: Record<string, number> = {};
  for (const { pid } of processTree(root)) {
    const name = programOf(pid, root, server);
    programs[name] = (programs[name] ?? 0) + privateKiB(pid) / 1024;
  }
  return programs;
}

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

/** Proportional set size of a process in KiB: its private pages, and its share of shared ones. */
function pssKiB(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
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
 * Memory of each program under a process, in MiB, by command name (`workerd`, `postgres`,
 * `redis-server`, …; the root itself as `root`). PSS, not RSS: PostgreSQL's backends share its
 * buffers, and RSS would count a shared page in every backend that touched it, growing with no
 * memory used.
 */
export function memoryByProgram(root: number): Record<string, number> {
  const programs: Record<string, number> = {};
  for (const { pid } of processTree(root)) {
    const name = pid === root ? "root" : commandOf(pid);
    programs[name] = (programs[name] ?? 0) + pssKiB(pid) / 1024;
  }
  return programs;
}

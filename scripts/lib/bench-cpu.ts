// The Worker's own CPU time and memory, sampled from /proc around a bench run.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const PAGE_BYTES = Number(execFileSync("getconf", ["PAGESIZE"]).toString().trim()) || 4096;

interface ProcessStat {
  parent: number;
  /** CPU ticks, user + system. */
  cpu: number;
  /** Resident pages. */
  rss: number;
}

/** A process and all its descendants, from /proc. */
function processTree(root: number): ProcessStat[] {
  const stats = new Map<number, ProcessStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (which may hold spaces): state ppid … utime(14) stime(15) … rss(24).
      const text = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), {
        parent: Number(fields[1]),
        cpu: Number(fields[11]) + Number(fields[12]),
        rss: Number(fields[21]),
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

/** Resident memory of a process and its descendants, in MiB. */
export function treeRssMiB(root: number): number {
  return (processTree(root).reduce((sum, stat) => sum + stat.rss, 0) * PAGE_BYTES) / 2 ** 20;
}

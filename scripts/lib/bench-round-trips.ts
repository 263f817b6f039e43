// The round-trip table: how many database round trips each scenario's critical path really waits
// for, measured as the latency a simulated distance to the database adds, at one connection
// (no queueing), next to the counts the Worker reports in Server-Timing.
import { type LoadTarget, measure, probe } from "./bench-load";
import type { BenchContext, Scenario, Target } from "./bench-scenarios";
import { median } from "./bench-stats";

export interface RoundTripOptions {
  scenarios: Scenario[];
  targets: Record<Target, LoadTarget>;
  context: BenchContext;
  /** The stack's simulated distance to the database. */
  setRttMs: (ms: number) => void;
  /** The distance measured against none, in milliseconds. */
  rttMs: number;
  /** The distance to leave set when done (XZEPR_DB_RTT_MS at start-up, else 0). */
  restoreRttMs: number;
  rounds: number;
  /** Seconds per run. */
  duration: number;
}

interface RoundTripRow {
  name: string;
  near: number;
  far: number;
  /** Server-Timing counts, the most common of SAMPLES responses. */
  reported: Record<string, number>;
  unexpected: number;
}

const SAMPLES = 5;

/**
 * The Server-Timing counts most of SAMPLES responses report: now and then a response also
 * refreshes a per-isolate cache (tenant settings, 30 s), one round trip more.
 */
async function usualRoundTrips(target: LoadTarget, scenario: Scenario, context: BenchContext) {
  const seen = new Map<string, { counts: Record<string, number>; times: number }>();
  for (let sample = 0; sample < SAMPLES; sample++) {
    const answer = await probe(target, scenario, context);
    if (!answer.expected)
      console.error(`[bench] ${scenario.name} answered ${answer.status}: ${answer.text.slice(0, 500)}`);
    const key = JSON.stringify(answer.roundTrips);
    const entry = seen.get(key) ?? { counts: answer.roundTrips, times: 0 };
    entry.times++;
    seen.set(key, entry);
  }
  const ranked = [...seen.values()].sort((a, b) => b.times - a.times);
  if (ranked.length > 1)
    console.error(
      `[bench] ${scenario.name}: Server-Timing varied: ${ranked.map((entry) => `${JSON.stringify(entry.counts)}×${entry.times}`).join(" ")}`,
    );
  return ranked[0]?.counts ?? {};
}

export async function roundTripTable(options: RoundTripOptions): Promise<void> {
  const { rttMs, rounds, duration } = options;
  const rows: RoundTripRow[] = [];
  try {
    for (const scenario of options.scenarios) {
      const target = options.targets[scenario.target ?? "main"];
      options.setRttMs(0);
      const reported = await usualRoundTrips(target, scenario, options.context);
      const near: number[] = [];
      const far: number[] = [];
      let unexpected = 0;
      // Interleaved (0, L, 0, L …) so that both distances meet the same moments of the machine.
      for (let round = 1; round <= rounds; round++) {
        for (const [ms, into] of [
          [0, near],
          [rttMs, far],
        ] as const) {
          options.setRttMs(ms);
          console.error(`[bench] round trips ${round}/${rounds} ${scenario.name}: ${ms} ms, ${duration} s`);
          const run = await measure(target, scenario, options.context, { connections: 1, duration });
          into.push(run.p50);
          unexpected += run.unexpected;
        }
      }
      rows.push({
        name: scenario.name,
        near: median(near),
        far: median(far),
        reported,
        unexpected,
      });
    }
  } finally {
    options.setRttMs(options.restoreRttMs);
  }
  console.log(
    `\nround trips: p50 latency at 1 connection, ${duration} s runs, medians of ${rounds} rounds, with the database 0 and ${rttMs} ms away\n`,
  );
  const far = `p50@${rttMs} ms`;
  console.log(
    `scenario        p50@0 ms  ${far.padStart(10)}  db round trips (measured)  Server-Timing db  gate  unexpected`,
  );
  for (const row of rows) {
    const count = (kind: string) => (kind in row.reported ? String(row.reported[kind]) : "-");
    console.log(
      [
        row.name.padEnd(14),
        String(row.near).padStart(9),
        String(row.far).padStart(11),
        ((row.far - row.near) / rttMs).toFixed(2).padStart(26),
        count("db").padStart(17),
        count("gate").padStart(5),
        String(row.unexpected).padStart(11),
      ].join(" "),
    );
  }
  console.log(
    `  measured = (p50@${rttMs} − p50@0) / ${rttMs}: the database round trips the response waits for in sequence;\n` +
      `  Server-Timing: the counts most of ${SAMPLES} responses report (db, gate).\n` +
      "  Only the database is far away here: under wrangler dev the TenantGate (a Durable Object) runs in the\n" +
      "  same workerd process, so its calls cost no simulated distance; deployed, each gate call on the critical\n" +
      "  path (Server-Timing's gate count) adds the distance to the Durable Object as well.",
  );
}

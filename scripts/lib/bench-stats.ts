// The bench's figures: one run's measurements, and medians over rounds.

export interface Measured {
  name: string;
  requests: number;
  /** The Worker's CPU milliseconds per request (wrangler + workerd). */
  cpuMs: number;
  rps: number;
  mean: number;
  p50: number;
  p99: number;
  unexpected: number;
}

export const signed = (value: number, digits: number) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** Each figure's median over the rounds; requests and unexpected answers are summed. */
export function medianOf(runs: Measured[]): Measured {
  const pick = (key: "rps" | "mean" | "p50" | "p99" | "cpuMs") => median(runs.map((run) => run[key]));
  return {
    name: runs[0]?.name ?? "",
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    cpuMs: pick("cpuMs"),
    rps: pick("rps"),
    mean: pick("mean"),
    p50: pick("p50"),
    p99: pick("p99"),
    unexpected: runs.reduce((sum, run) => sum + run.unexpected, 0),
  };
}

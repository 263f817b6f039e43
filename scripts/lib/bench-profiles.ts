// Load profiles of `npm run bench` on the ingest path (POST /api/v1/events), each judged against
// its target: baseline (a steady rate: p95 < 100 ms, p99 < 200 ms, errors < 0.1 %), stress (the
// rate doubled step by step until it breaks: where, how, and whether it recovers), spike (from
// idle to many connections at once: only clean refusals, then recovery) and soak (a moderate rate
// for minutes: latency and each process's memory flat). Rates are offered with autocannon's
// overallRate over a connection per 10 req/s: a connection waits for its answer, so an answer
// slower than 100 ms lowers what is sent (the table shows answered against offered).
import autocannon from "autocannon";
import { memoryByProgram } from "./bench-cpu";
import type { ScenarioRequest } from "./bench-scenarios";

export interface ProfileOptions {
  url: string;
  request: ScenarioRequest;
  /** Steady rate of baseline and the first stress step, req/s. */
  rate: number;
  /** Seconds per baseline run, per stress step, of the spike, and of the soak. */
  seconds: { baseline: number; step: number; spike: number; soak: number; recovery: number };
  /** Stress steps at most (the rate doubles each). */
  maxSteps: number;
  spikeConnections: number;
  /** The wrangler process under load: its workerd processes are told apart in the soak's memory. */
  serverPid: number;
}

interface Window {
  latencies: number[];
  statuses: Map<number, number>;
  /** Connection errors and timeouts. */
  failures: number;
  seconds: number;
}

export interface ProfileResult {
  name: string;
  /** Met its targets (latency included). */
  pass: boolean;
  /** Answered wrongly: a 5xx other than 503, a lost connection, or errors at a steady rate. */
  broken: boolean;
  /** One line per finding, printed under the table. */
  notes: string[];
  row: { rate: string; p50: number; p95: number; p99: number; errors: string };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);

/** Offers `rate` req/s (or as many as `connections` manage, without a rate) for `seconds`. */
async function offer(
  options: ProfileOptions,
  { rate, seconds, connections }: { rate?: number; seconds: number; connections: number },
): Promise<Window> {
  const window: Window = {
    latencies: [],
    statuses: new Map(),
    failures: 0,
    seconds,
  };
  const { path, ...rest } = options.request;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `${options.url}${path}`,
        ...rest,
        connections,
        duration: seconds,
        ...(rate ? { overallRate: rate } : {}),
        timeout: 10,
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on("response", (_client, status, _bytes, responseTime) => {
      window.latencies.push(Math.round(responseTime));
      window.statuses.set(status, (window.statuses.get(status) ?? 0) + 1);
    });
    instance.on("reqError", () => {
      window.failures++;
    });
  });
  window.failures += result.timeouts;
  window.latencies.sort((a, b) => a - b);
  return window;
}

function summary(window: Window) {
  const count = (test: (status: number) => boolean) =>
    [...window.statuses].filter(([status]) => test(status)).reduce((n, [, c]) => n + c, 0);
  const answered = window.latencies.length;
  const failed = count((status) => status < 200 || status >= 300) + window.failures;
  return {
    rps: answered / window.seconds,
    p50: percentile(window.latencies, 50),
    p95: percentile(window.latencies, 95),
    p99: percentile(window.latencies, 99),
    /** Share of requests not answered 2xx (refusals, errors, connection failures). */
    errorShare: failed / Math.max(1, answered + window.failures),
    /** 429 and 503: load shed in the error envelope, as the service should under overload. */
    shed: count((status) => status === 429 || status === 503),
    /** Any other 5xx: a failure of the service. */
    serverErrors: count((status) => status >= 500 && status !== 503),
    failures: window.failures,
    statuses: [...window.statuses].map(([status, c]) => `${status}×${c}`).join(" "),
  };
}

const pct = (share: number) => `${(share * 100).toFixed(2)} %`;

/**
 * Connections for an offered rate: ten requests a second each. autocannon spreads overallRate over
 * its connections, so with many more connections than that it sends in bursts, not at a rate.
 */
const connectionsFor = (rate: number) => Math.min(512, Math.max(1, Math.ceil(rate / 10)));

const steadyTargets = (s: ReturnType<typeof summary>) => s.p95 < 100 && s.p99 < 200 && s.errorShare < 0.001;

async function baseline(options: ProfileOptions): Promise<ProfileResult> {
  // Two seconds first, not measured: isolates, caches and the receiver's compiled schema.
  await offer(options, { rate: options.rate, seconds: 2, connections: connectionsFor(options.rate) });
  const window = await offer(options, {
    rate: options.rate,
    seconds: options.seconds.baseline,
    connections: connectionsFor(options.rate),
  });
  const s = summary(window);
  return {
    name: "baseline",
    pass: steadyTargets(s),
    broken: s.errorShare >= 0.001 || s.serverErrors > 0,
    notes: [`baseline: ${options.rate} req/s offered for ${window.seconds} s; answers ${s.statuses}`],
    row: {
      rate: `${s.rps.toFixed(0)}/${options.rate}`,
      p50: s.p50,
      p95: s.p95,
      p99: s.p99,
      errors: pct(s.errorShare),
    },
  };
}

/** Whether the service meets the baseline targets again after a pause. */
async function recovers(options: ProfileOptions): Promise<{ ok: boolean; errors: boolean; line: string }> {
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const s = summary(
    await offer(options, {
      rate: options.rate,
      seconds: options.seconds.recovery,
      connections: connectionsFor(options.rate),
    }),
  );
  return {
    ok: steadyTargets(s),
    errors: s.errorShare >= 0.001,
    line: `then ${options.rate} req/s again: p95 ${s.p95} ms, p99 ${s.p99} ms, errors ${pct(s.errorShare)}`,
  };
}

async function stress(options: ProfileOptions): Promise<ProfileResult> {
  const notes: string[] = [];
  let breaking: { rate: number; how: string } | undefined;
  let best = { rps: 0, rate: 0 };
  let cleanBreak = true;
  for (let rate = options.rate, step = 0; step < options.maxSteps && !breaking; rate *= 2, step++) {
    const s = summary(
      await offer(options, { rate, seconds: options.seconds.step, connections: connectionsFor(rate) }),
    );
    notes.push(
      `stress ${rate} req/s offered: ${s.rps.toFixed(0)} answered/s, p99 ${s.p99} ms, errors ${pct(s.errorShare)} (${s.statuses || "none"})`,
    );
    if (s.rps > best.rps) best = { rps: s.rps, rate };
    if (s.serverErrors > 0 || s.failures > 0) cleanBreak = false;
    const how = [
      s.rps < rate * 0.9 ? `throughput saturates at ${s.rps.toFixed(0)} req/s` : "",
      s.p99 > 1000 ? `p99 ${s.p99} ms` : "",
      s.errorShare > 0.01
        ? `errors ${pct(s.errorShare)} (${s.shed} shed as 429/503, ${s.serverErrors} other 5xx, ${s.failures} connection errors)`
        : "",
    ].filter(Boolean);
    if (how.length > 0) breaking = { rate, how: how.join("; ") };
  }
  const recovery = await recovers(options);
  notes.push(
    breaking
      ? `stress breaks at ${breaking.rate} req/s offered: ${breaking.how}; ${recovery.line}`
      : `stress did not break up to ${best.rate} req/s; ${recovery.line}`,
  );
  return {
    name: "stress",
    broken: !recovery.ok && recovery.errors,
    // Breaking is expected: a pass is no 5xx but shed load and no lost connection on the way, and recovering.
    pass: recovery.ok && cleanBreak,
    notes,
    row: {
      rate: `max ${best.rps.toFixed(0)}`,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: Number.NaN,
      errors: breaking ? `breaks at ${breaking.rate}` : "-",
    },
  };
}

async function spike(options: ProfileOptions): Promise<ProfileResult> {
  const connections = options.spikeConnections;
  const s = summary(await offer(options, { seconds: options.seconds.spike, connections }));
  const recovery = await recovers(options);
  return {
    name: "spike",
    // Overload may be shed (429/503 in the envelope); nothing else may fail, and it must recover.
    pass: s.serverErrors === 0 && s.failures === 0 && recovery.ok,
    broken: s.serverErrors > 0 || s.failures > 0 || recovery.errors,
    notes: [
      `spike: 0 → ${connections} connections at once for ${options.seconds.spike} s: ${s.rps.toFixed(0)} answered/s, p99 ${s.p99} ms, ${s.statuses}, ${s.shed} shed, ${s.failures} connection errors; ${recovery.line}`,
    ],
    row: {
      rate: `${s.rps.toFixed(0)} (${connections} conn)`,
      p50: s.p50,
      p95: s.p95,
      p99: s.p99,
      errors: pct(s.errorShare),
    },
  };
}

/** Programs whose memory the soak reports but does not judge, and why. */
const UNJUDGED: Record<string, string> = {
  root: "the bench itself, which keeps every latency it records",
  "workerd (wrangler proxy)":
    "wrangler dev's proxy in front of the Worker, not the Worker: it grows by about 30 MiB a minute at 50 req/s with a Worker that only answers `ok` too",
  "workerd (other instances)": "the bench's idle variants",
};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function soak(options: ProfileOptions): Promise<ProfileResult> {
  const rate = Math.max(1, Math.round(options.rate / 2));
  const windows = Math.max(3, Math.round(options.seconds.soak / 60));
  const seconds = options.seconds.soak / windows;
  const samples: { p99: number; memory: Record<string, number>; errorShare: number }[] = [];
  for (let i = 0; i < windows; i++) {
    // Memory sampled every 5 s through the window, each program's median kept: a garbage-collected
    // heap saws up and down by a fifth within a minute.
    const taken: Record<string, number>[] = [];
    const take = () => taken.push(memoryByProgram(process.pid, options.serverPid));
    const sampler = setInterval(take, Math.min(5_000, (seconds * 1000) / 4));
    const s = summary(await offer(options, { rate, seconds, connections: connectionsFor(rate) }));
    clearInterval(sampler);
    take();
    const names = [...new Set(taken.flatMap(Object.keys))];
    const memory = Object.fromEntries(names.map((name) => [name, median(taken.map((x) => x[name] ?? 0))]));
    samples.push({ p99: s.p99, memory, errorShare: s.errorShare });
  }
  // The first window warms caches, pools and buffers up: growth is judged from the second on, as
  // the median of the first third of the rest against the last third.
  const rest = samples.slice(1);
  const third = Math.max(1, Math.floor(rest.length / 3));
  const early = rest.slice(0, third);
  const late = rest.slice(-third);
  const level = (part: typeof samples, name: string) => median(part.map((x) => x.memory[name] ?? 0));
  const latencyFlat = median(late.map((x) => x.p99)) <= median(early.map((x) => x.p99)) * 1.5 + 10;
  const programs = Object.keys(samples.at(-1)?.memory ?? {}).sort();
  const judged = programs.filter((name) => !(name in UNJUDGED));
  const grown = judged.filter((name) => level(late, name) > level(early, name) * 1.2 + 16);
  const errors = samples.reduce((n, x) => n + x.errorShare, 0) / samples.length;
  const describe = (name: string) =>
    `${name} ${samples.map((x) => (x.memory[name] ?? 0).toFixed(0)).join(", ")}`;
  return {
    name: "soak",
    pass: latencyFlat && grown.length === 0 && errors < 0.001,
    broken: errors >= 0.001,
    notes: [
      `soak: ${rate} req/s for ${options.seconds.soak} s in ${windows} windows; p99 per window ${samples.map((x) => x.p99).join(", ")} ms` +
        (latencyFlat ? "" : " (grew more than 50 % + 10 ms)"),
      `  private memory (MiB, median per window), judged: ${judged.map(describe).join("; ")}` +
        (grown.length > 0 ? `; grew more than 20 % + 16 MiB: ${grown.join(", ")}` : "; flat"),
      ...programs
        .filter((name) => name in UNJUDGED)
        .map((name) => `  not judged: ${describe(name)} (${UNJUDGED[name]})`),
    ],
    row: {
      rate: `${rate}`,
      p50: Number.NaN,
      p95: Number.NaN,
      p99: samples.at(-1)?.p99 ?? Number.NaN,
      errors: pct(errors),
    },
  };
}

export const PROFILES = { baseline, stress, spike, soak } as const;
export type ProfileName = keyof typeof PROFILES;

export function printProfiles(results: ProfileResult[]) {
  const cell = (value: number) => (Number.isNaN(value) ? "-" : String(value)).padStart(7);
  console.log("\nload profiles on POST /api/v1/events\n");
  console.log("profile     result  rate (answered/offered)    p50     p95     p99  errors");
  for (const { name, pass, row } of results)
    console.log(
      `${name.padEnd(10)}  ${(pass ? "pass" : "FAIL").padEnd(6)}  ${row.rate.padEnd(23)}${cell(row.p50)} ${cell(row.p95)} ${cell(row.p99)}  ${row.errors}`,
    );
  for (const result of results) for (const note of result.notes) console.log(`  ${note}`);
}

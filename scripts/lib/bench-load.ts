// Load one scenario with autocannon (throughput, latency, the Worker's CPU), or send it once to
// read its answer and its Server-Timing round-trip counts.
import autocannon from "autocannon";
import { treeCpuSeconds } from "./bench-cpu";
import type { BenchContext, Scenario } from "./bench-scenarios";
import type { Measured } from "./bench-stats";

/** A running Worker: where to send requests, and the process whose CPU is the Worker's. */
export interface LoadTarget {
  url: string;
  pid: number;
}

export interface LoadOptions {
  connections: number;
  /** Seconds. */
  duration: number;
  /** Two seconds of load first, not measured: isolates, key imports, caches. */
  warmUp?: boolean;
}

const isExpected = (scenario: Scenario, status: number) =>
  scenario.expectStatus === undefined ? status >= 200 && status < 300 : status === scenario.expectStatus;

function autocannonOptions(target: LoadTarget, scenario: Scenario, context: BenchContext) {
  const { path, ...rest } = scenario.request(context);
  const fresh = scenario.perRequest;
  return {
    url: `${target.url}${path}`,
    ...rest,
    // A request with a setupRequest is built anew each time it is sent (autocannon's requests).
    ...(fresh
      ? {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => ({
                ...request,
                headers: { ...request.headers, ...fresh() },
              }),
            },
          ],
        }
      : {}),
  };
}

export async function measure(
  target: LoadTarget,
  scenario: Scenario,
  context: BenchContext,
  { connections, duration, warmUp = false }: LoadOptions,
): Promise<Measured> {
  const options = { ...autocannonOptions(target, scenario, context), connections };
  if (warmUp) await autocannon({ ...options, duration: 2 });
  const cpuBefore = treeCpuSeconds(target.pid);
  const result = await autocannon({ ...options, duration });
  const cpuSeconds = treeCpuSeconds(target.pid) - cpuBefore;
  const byStatus = Object.entries(result.statusCodeStats ?? {}).map(([status, { count = 0 }]) => ({
    status: Number(status),
    count,
  }));
  const statuses = byStatus.map(({ status, count }) => `${status}×${count}`).join(" ");
  console.error(
    `[bench] ${scenario.name}: ${statuses}; errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}`,
  );
  const wrongStatus = byStatus
    .filter(({ status }) => !isExpected(scenario, status))
    .reduce((sum, { count }) => sum + count, 0);
  return {
    name: scenario.name,
    requests: result.requests.total,
    cpuMs: (cpuSeconds * 1000) / Math.max(1, result.requests.total),
    rps: result.requests.average,
    mean: result.latency.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    unexpected: result.errors + result.timeouts + wrongStatus,
  };
}

export interface Probe {
  status: number;
  expected: boolean;
  text: string;
  /** Count per metric of the `Server-Timing` header (`db;count=1;dur=4, gate;count=1;dur=0`). */
  roundTrips: Record<string, number>;
}

/** Parses the counts out of a Server-Timing value; metrics without a count are left out. */
export function serverTimingCounts(header: string | null): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const metric of (header ?? "").split(",")) {
    const [name, ...params] = metric.split(";").map((part) => part.trim());
    const count = params.find((param) => param.startsWith("count="));
    if (name && count) counts[name] = Number(count.slice("count=".length));
  }
  return counts;
}

/** Sends the scenario's request once. */
export async function probe(target: LoadTarget, scenario: Scenario, context: BenchContext): Promise<Probe> {
  const { path, method = "GET", headers = {}, body } = scenario.request(context);
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { ...headers, ...scenario.perRequest?.() },
    ...(body === undefined ? {} : { body }),
  });
  return {
    status: response.status,
    expected: isExpected(scenario, response.status),
    text: await response.text(),
    roundTrips: serverTimingCounts(response.headers.get("server-timing")),
  };
}

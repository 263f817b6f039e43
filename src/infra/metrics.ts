// Prometheus metrics: a per-request batch of increments flushed to a MetricsHub shard, and the
// text exposition format (version 0.0.4) rendered from the sum of all shards.
import type { MetricsHubRpc, Sample } from "../contracts/metrics";
import type { Config } from "../env";
import { Coalescers } from "../lib/coalesce";
import type { Logger } from "../lib/logger";

export const SHARDS = 4;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Every metric this service exports, with its type and help text. */
export const FAMILIES = {
  xzepr_http_requests_total: { type: "counter", help: "HTTP requests by method, route template and status." },
  xzepr_http_request_duration_seconds: { type: "histogram", help: "HTTP request duration in seconds." },
  xzepr_auth_failures_total: { type: "counter", help: "Refused credentials by reason." },
  xzepr_rate_limit_rejections_total: { type: "counter", help: "Requests refused with 429 by tier." },
  xzepr_admission_rejections_total: {
    type: "counter",
    help: "Requests refused for the tenant's monthly quota (429) or in-flight cap (503), by reason.",
  },
  xzepr_rate_limit_fallbacks_total: {
    type: "counter",
    help: "Switches of the rate limiter between Redis and the TenantGate (to=gate|redis).",
  },
  xzepr_events_ingested_total: { type: "counter", help: "Events accepted." },
  xzepr_webhook_deliveries_total: {
    type: "counter",
    help: "Webhook delivery attempts by outcome (delivered, retried, dead_lettered).",
  },
  xzepr_graphql_complexity_violations_total: {
    type: "counter",
    help: "GraphQL documents refused before execution, by guard (depth, cost, aliases, tokens, directives, batch).",
  },
  xzepr_group_completions_total: { type: "counter", help: "Group completions recorded." },
  xzepr_outbox_published_total: { type: "counter", help: "Outbox messages the broker acknowledged." },
  xzepr_outbox_failed_total: { type: "counter", help: "Failed publish attempts of outbox messages." },
  xzepr_outbox_retried_total: {
    type: "counter",
    help: "Failed outbox messages scheduled for another attempt.",
  },
  xzepr_outbox_dead_lettered_total: {
    type: "counter",
    help: "Outbox messages moved to the dead-letter queue after their last attempt.",
  },
  xzepr_outbox_lag_seconds: {
    type: "gauge",
    help: "Age of the oldest unpublished outbox message (0 when none).",
  },
  xzepr_dlq_size: { type: "gauge", help: "Messages in the dead-letter queue." },
  xzepr_dependency_up: { type: "gauge", help: "1 when the dependency answered its readiness probe, else 0." },
} as const;
export type MetricName = keyof typeof FAMILIES;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

export function labelText(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}="${escapeLabel(labels[key] ?? "")}"`)
    .join(",");
}

/** The increments of one request; `flush` sends them in one call. */
export class MetricsBatch {
  private readonly samples = new Map<string, Sample>();

  inc(name: MetricName, labels: Record<string, string> = {}, value = 1): void {
    this.add(name, labelText(labels), value);
  }

  /** Histogram observation: cumulative buckets, sum and count. */
  observe(name: MetricName, labels: Record<string, string>, value: number): void {
    // Every bucket, the empty ones too: a series without some buckets breaks histogram_quantile.
    for (const bound of DURATION_BUCKETS) {
      this.add(`${name}_bucket`, labelText({ ...labels, le: String(bound) }), value <= bound ? 1 : 0);
    }
    this.add(`${name}_bucket`, labelText({ ...labels, le: "+Inf" }), 1);
    this.add(`${name}_sum`, labelText(labels), value);
    this.add(`${name}_count`, labelText(labels), 1);
  }

  private add(name: string, labels: string, value: number): void {
    const id = `${name}{${labels}}`;
    const sample = this.samples.get(id);
    if (sample) sample.value += value;
    else this.samples.set(id, { name, labels, value });
  }

  /**
   * Hands the increments to the isolate's flush (src/lib/coalesce.ts): at most one MetricsHub
   * call is in flight per isolate, and what arrives meanwhile goes in the next one, so busy
   * isolates make far fewer calls than requests. A failure is logged, never thrown (metrics never
   * fail work).
   */
  async flush(config: Config, logger: Logger): Promise<void> {
    if (this.samples.size === 0) return;
    const samples = [...this.samples.values()];
    this.samples.clear();
    try {
      await flushes.for(config.METRICS_NAMESPACE).add(samples, async (batch) => {
        const totals = new MetricsBatch();
        for (const sample of batch) totals.add(sample.name, sample.labels, sample.value);
        await hub(config, Math.floor(Math.random() * SHARDS)).add([...totals.samples.values()]);
      });
    } catch (error) {
      logger.warn("metrics not recorded", { error: String(error) });
    }
  }
}

/** The isolate's flushes, per metrics namespace. */
const flushes = new Coalescers<Sample>();

function hub(config: Config, shard: number): DurableObjectStub<MetricsHubRpc> {
  return config.METRICS_HUB.get(config.METRICS_HUB.idFromName(`${config.METRICS_NAMESPACE}:${shard}`));
}

/** A sample computed at scrape time (a gauge), in the same shape as the counters. */
export function gauge(name: MetricName, labels: Record<string, string>, value: number): Sample {
  return { name, labels: labelText(labels), value };
}

/** Sums every shard and renders the exposition text, with `gauges` computed at scrape time. */
export async function renderMetrics(config: Config, gauges: Sample[] = []): Promise<string> {
  const shards = await Promise.all(
    Array.from({ length: SHARDS }, (_, shard) => hub(config, shard).snapshot()),
  );
  const totals = new Map<string, Sample>();
  for (const sample of [...shards.flat(), ...gauges]) {
    const id = `${sample.name}{${sample.labels}}`;
    const total = totals.get(id);
    if (total) total.value += sample.value;
    else totals.set(id, { ...sample });
  }
  const lines: string[] = [];
  for (const [family, { type, help }] of Object.entries(FAMILIES)) {
    lines.push(`# HELP ${family} ${help}`, `# TYPE ${family} ${type}`);
    const series = [...totals.values()]
      .filter((sample) => sample.name === family || sample.name.startsWith(`${family}_`))
      .sort(bySeries);
    for (const sample of series)
      lines.push(`${sample.name}${sample.labels ? `{${sample.labels}}` : ""} ${sample.value}`);
  }
  return `${lines.join("\n")}\n`;
}

const LE = /(?:^|,)le="([^"]*)"/;
const SUFFIX_ORDER: Record<string, number> = { _bucket: 0, _sum: 1, _count: 2 };

/**
 * Exposition order: series by their labels; a histogram's buckets in ascending `le` (`+Inf`
 * last, not first as text order would put it), then its `_sum` and `_count`.
 */
function bySeries(a: Sample, b: Sample): number {
  const key = (sample: Sample) => {
    const le = LE.exec(sample.labels)?.[1];
    const suffix = /_(bucket|sum|count)$/.exec(sample.name)?.[0] ?? "";
    return {
      base: sample.name.slice(0, sample.name.length - suffix.length),
      labels: sample.labels.replace(LE, "").replace(/^,/, ""),
      suffix: SUFFIX_ORDER[suffix] ?? 0,
      le: le === undefined ? 0 : le === "+Inf" ? Number.POSITIVE_INFINITY : Number(le),
    };
  };
  const x = key(a);
  const y = key(b);
  return (
    x.base.localeCompare(y.base) || x.labels.localeCompare(y.labels) || x.suffix - y.suffix || x.le - y.le
  );
}

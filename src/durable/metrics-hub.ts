// Counters summed across isolates: isolates are stateless, so every request's increments go to
// one of a few MetricsHub shards (in waitUntil); a scrape adds the shards up. SQLite-backed, so
// counts survive restarts of the object.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../contracts/bindings";
import type { MetricsHubRpc, Sample } from "../contracts/metrics";

export class MetricsHub extends DurableObject<Bindings> implements MetricsHubRpc {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS counters (
      name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (name, labels))`);
  }

  add(samples: Sample[]): void {
    for (const sample of samples) {
      this.sql.exec(
        `INSERT INTO counters (name, labels, value) VALUES (?, ?, ?)
         ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value`,
        sample.name,
        sample.labels,
        sample.value,
      );
    }
  }

  snapshot(): Sample[] {
    return this.sql
      .exec<{ name: string; labels: string; value: number }>("SELECT name, labels, value FROM counters")
      .toArray();
  }
}

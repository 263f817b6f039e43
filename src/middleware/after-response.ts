// Everything a request does after its response, in one place. Work is queued while the request
// runs and started only once the response exists (`start`, the last step of request-context.ts),
// so none of it competes with the handler or lengthens the critical path:
//   - outbox publish: the queues of the keys the request wrote (`publisher`; the cron relay is
//     the guarantee);
//   - webhook delivery: the tenant's due deliveries, when the request queued some (the cron job
//     sends retries);
//   - TenantGate.leave: the in-flight slot, and the events that count against the quota
//     (admission.ts);
//   - the audit entry of a refused permission (admission.ts);
//   - an API key's last use, at most once a minute per key per isolate (auth.ts);
//   - the metrics flush, coalesced per isolate (infra/metrics.ts), and the trace export
//     (request-context.ts), which waits for the work above so that its spans are in the trace.
import type { AfterResponse, Publisher } from "../domain/ports";
import { describeError } from "../lib/errors";
import type { Logger } from "../lib/logger";

export class AfterResponseQueue implements AfterResponse {
  private readonly queued: { name: string; work: () => Promise<unknown> }[] = [];
  private started: ((work: Promise<unknown>) => void) | undefined;
  private readonly running: Promise<unknown>[] = [];

  constructor(private readonly logger: Logger) {}

  run(name: string, work: () => Promise<unknown>): void {
    this.queued.push({ name, work });
    // Queued by work that itself runs after the response: start it at once.
    if (this.started) this.drainWith(this.started);
  }

  /** Starts every queued job (and any queued later); resolves when all have settled. */
  start(waitUntil: (work: Promise<unknown>) => void): Promise<void> {
    this.started = waitUntil;
    this.drainWith(waitUntil);
    return this.settled();
  }

  private async settled(): Promise<void> {
    // Jobs may queue more jobs while running.
    for (let seen = 0; seen !== this.running.length; ) {
      seen = this.running.length;
      await Promise.allSettled(this.running);
    }
  }

  private drainWith(waitUntil: (work: Promise<unknown>) => void): void {
    for (const { name, work } of this.queued.splice(0)) {
      const running = Promise.resolve()
        .then(work)
        .catch((error: unknown) => this.logger.error(`${name} failed`, describeError(error)));
      this.running.push(running);
      waitUntil(running);
    }
  }
}

/** The publisher of a request: its outbox keys are published, its webhooks sent, after the response. */
export function afterResponsePublisher(
  after: AfterResponse,
  publish: (keys: string[]) => Promise<unknown>,
  deliver: (tenantId: string) => Promise<unknown>,
): Publisher {
  return {
    publish(keys) {
      if (keys.length > 0) after.run("outbox publish", () => publish(keys));
    },
    deliverWebhooks(tenantId) {
      after.run("webhook delivery", () => deliver(tenantId));
    },
  };
}

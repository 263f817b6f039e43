// In-memory versions of the ports (./ports.ts), for unit tests: no Durable Object, no database,
// no clock of the machine. Each records what it was asked, so a test can count round trips.
import type {
  AdmitRequest,
  AdmitVerdict,
  LeaveOutcome,
  PassRequest,
  PassVerdict,
  SubjectStatus,
} from "../contracts/gate";
import type { AfterResponse, Clock, GateDirectory, Publisher, TenantGatePort } from "./ports";

export class ManualClock implements Clock {
  constructor(private at: Date) {}
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at = new Date(this.at.getTime() + ms);
  }
}

/** Queues work; `drain` runs it, as the response's end would. */
export class MemoryAfterResponse implements AfterResponse {
  readonly queued: { name: string; work: () => Promise<unknown> }[] = [];
  run(name: string, work: () => Promise<unknown>): void {
    this.queued.push({ name, work });
  }
  async drain(): Promise<void> {
    for (let job = this.queued.shift(); job; job = this.queued.shift()) await job.work();
  }
}

export class MemoryPublisher implements Publisher {
  readonly published: string[][] = [];
  readonly webhookTenants: string[] = [];
  publish(keys: string[]): void {
    this.published.push(keys);
  }
  deliverWebhooks(tenantId: string): void {
    this.webhookTenants.push(tenantId);
  }
}

/**
 * A tenant gate that knows the subjects it is given, admits up to `capacity` requests in flight,
 * and counts its calls. Rate limits and quota are the real TenantGate's (its own tests).
 */
export class MemoryGate implements TenantGatePort {
  readonly calls: string[] = [];
  inFlight = 0;
  private readonly subjects = new Map<string, SubjectStatus>();

  constructor(
    known: SubjectStatus[] = [],
    private readonly capacity = Number.POSITIVE_INFINITY,
  ) {
    for (const status of known) this.subjects.set(`${status.kind}:${status.id}`, status);
  }

  async pass(request: PassRequest): Promise<PassVerdict> {
    this.calls.push("pass");
    for (const status of request.learn ?? []) {
      const id = `${status.kind}:${status.id}`;
      if (!this.subjects.has(id)) this.subjects.set(id, status);
    }
    const unknown = request.access.subjects.filter(
      (subject) => !this.subjects.has(`${subject.kind}:${subject.id}`),
    );
    if (unknown.length > 0) return { verdict: "unknown", subjects: unknown };
    const inactive = request.access.subjects.find(
      (subject) => !this.subjects.get(`${subject.kind}:${subject.id}`)?.active,
    );
    if (inactive) return { verdict: "deny", reason: `${inactive.kind}_disabled` };
    return request.admit ? this.enter(request.admit) : { verdict: "allow" };
  }

  async admit(request: AdmitRequest): Promise<AdmitVerdict> {
    this.calls.push("admit");
    return this.enter(request);
  }

  async leave(outcome: LeaveOutcome): Promise<void> {
    this.calls.push("leave");
    this.inFlight = Math.max(0, this.inFlight - (outcome.released ?? 1));
  }

  private enter(request: AdmitRequest): AdmitVerdict {
    if (request.maxInFlight !== undefined && this.inFlight >= Math.min(request.maxInFlight, this.capacity)) {
      return { verdict: "overloaded", inFlight: this.inFlight };
    }
    this.inFlight++;
    return { verdict: "admit", inFlight: this.inFlight };
  }
}

/** One MemoryGate per name, created on first use. */
export function memoryGates(make: (name: string) => MemoryGate = () => new MemoryGate()): {
  gates: GateDirectory;
  gate(name: string): MemoryGate;
} {
  const all = new Map<string, MemoryGate>();
  const gate = (name: string) => {
    let found = all.get(name);
    if (!found) {
      found = make(name);
      all.set(name, found);
    }
    return found;
  };
  return { gates: gate, gate };
}

// What leaves the process, as the services and the request pipeline use it: the tenant's gate,
// the publisher, the clock, the after-response runner and the Kafka producer. Adapters satisfy
// these by their shape (the TenantGate stub, src/middleware/after-response.ts, src/infra/kafka.ts);
// src/domain/memory-ports.ts has the in-memory versions unit tests use.

import type { AdmitRequest, AdmitVerdict, LeaveOutcome, PassRequest, PassVerdict } from "../contracts/gate";
import type { Delivery, KafkaRecord } from "../contracts/kafka";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Work that runs once the response exists; a failure is logged, never the client's. */
export interface AfterResponse {
  run(name: string, work: () => Promise<unknown>): void;
}

/** Sends what a request wrote to the outbox, after its response (the cron relay is the guarantee). */
export interface Publisher {
  /** Publishes the outbox queues of these keys. */
  publish(keys: string[]): void;
  /** Sends the tenant's due webhook deliveries. */
  deliverWebhooks(tenantId: string): void;
}

/** A tenant's gate: ONE call per authenticated request (`pass`); `leave` goes after the response. */
export interface TenantGatePort {
  pass(request: PassRequest): Promise<PassVerdict>;
  admit(request: AdmitRequest): Promise<AdmitVerdict>;
  leave(outcome: LeaveOutcome): Promise<void>;
}

/** The gate of a tenant (or of an anonymous caller's address). */
export type GateDirectory = (name: string) => TenantGatePort;

/** A Kafka producer behind its circuit breaker (src/infra/kafka.ts implements it). */
export interface KafkaPort {
  producer: { send(records: KafkaRecord[], deadline: number): Promise<Delivery[]> };
  breaker: {
    readonly state: "closed" | "open" | "half_open";
    allows(now: number): boolean;
    refuses(now: number): boolean;
    endTrial(): void;
    /** True when this success closed the circuit. */
    succeeded(): boolean;
    /** True when this failure opened the circuit. */
    failed(now: number): boolean;
  };
}

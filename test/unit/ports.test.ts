// The ports with their in-memory versions: the one-gate-call rule of passGate, and work that
// waits for the response.
import { describe, expect, it, vi } from "vitest";
import { type AuthDeps, AuthFailure, passGate } from "../../src/domain/auth";
import { MemoryAfterResponse, MemoryGate, memoryGates } from "../../src/domain/memory-ports";
import { createLogger } from "../../src/lib/logger";
import { AfterResponseQueue, afterResponsePublisher } from "../../src/middleware/after-response";

const principal = { id: "P1", type: "principal" as const, tenantId: "T1" };
const active = [
  { kind: "tenant" as const, id: "T1", active: true },
  { kind: "principal" as const, id: "P1", active: true },
];

function deps(gate: MemoryGate): AuthDeps {
  const { gates } = memoryGates(() => gate);
  // Neither is touched while the gate knows the subjects (only an `unknown` verdict reads them).
  return { config: undefined as never, db: undefined as never, now: 1_800_000_000, gates };
}

describe("passGate", () => {
  it("decides status and admission in one gate call", async () => {
    const gate = new MemoryGate(active);
    const verdict = await passGate(deps(gate), principal, { now: Date.now(), maxInFlight: 5 });
    expect(verdict).toEqual({ verdict: "admit", inFlight: 1 });
    expect(gate.calls).toEqual(["pass"]);
  });

  it("refuses a disabled subject without admitting it", async () => {
    const gate = new MemoryGate([active[0], { ...active[1], active: false }] as typeof active);
    await expect(passGate(deps(gate), principal, { now: Date.now(), maxInFlight: 5 })).rejects.toEqual(
      new AuthFailure("principal_disabled", true),
    );
    expect(gate.inFlight).toBe(0);
    expect(gate.calls).toEqual(["pass"]);
  });

  it("checks status only when there is nothing to admit (a request refused for its role)", async () => {
    const gate = new MemoryGate(active);
    expect(await passGate(deps(gate), principal)).toBeUndefined();
    expect(gate.inFlight).toBe(0);
    expect(gate.calls).toEqual(["pass"]);
  });

  it("passes on the gate's refusal of the admission", async () => {
    const gate = new MemoryGate(active, 0);
    const verdict = await passGate(deps(gate), principal, { now: Date.now(), maxInFlight: 5 });
    expect(verdict?.verdict).toBe("overloaded");
  });
});

describe("after-response work", () => {
  const logger = createLogger("error", {});

  it("starts nothing before the response, then everything, including work queued by work", async () => {
    const queue = new AfterResponseQueue(logger);
    const ran: string[] = [];
    queue.run("first", async () => {
      ran.push("first");
      queue.run("queued by first", async () => ran.push("queued by first"));
    });
    await Promise.resolve();
    expect(ran).toEqual([]);
    const waited: Promise<unknown>[] = [];
    await queue.start((work) => waited.push(work));
    expect(ran).toEqual(["first", "queued by first"]);
    expect(waited).toHaveLength(2);
  });

  it("logs a failure instead of rejecting", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const queue = new AfterResponseQueue(createLogger("info", {}));
    queue.run("doomed", async () => {
      throw new Error("no");
    });
    await expect(queue.start(() => undefined)).resolves.toBeUndefined();
    expect(error.mock.calls.map(([line]) => JSON.parse(String(line)).msg)).toContain("doomed failed");
    error.mockRestore();
  });

  it("publishes a request's outbox keys after the response, and nothing for none", async () => {
    const after = new MemoryAfterResponse();
    const sent: string[][] = [];
    const delivered: string[] = [];
    const publisher = afterResponsePublisher(
      after,
      async (keys) => sent.push(keys),
      async (tenantId) => delivered.push(tenantId),
    );
    publisher.publish([]);
    publisher.publish(["T1:R1"]);
    publisher.deliverWebhooks("T1");
    expect(after.queued.map((job) => job.name)).toEqual(["outbox publish", "webhook delivery"]);
    expect([sent, delivered]).toEqual([[], []]);
    await after.drain();
    expect([sent, delivered]).toEqual([[["T1:R1"]], ["T1"]]);
  });
});

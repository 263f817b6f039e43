// One call in flight per isolate; what others ask for meanwhile rides in the caller's next call.
import { describe, expect, it } from "vitest";
import { Coalescer } from "../../src/lib/coalesce";

/** A send whose calls the test finishes one by one. */
function controlledSend() {
  const calls: { batch: number[]; finish: (error?: Error) => void }[] = [];
  const send = (batch: number[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ batch, finish: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, send };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("Coalescer", () => {
  it("sends at once when idle, and merges what arrives during a call into the next one", async () => {
    const coalescer = new Coalescer<number>();
    const first = controlledSend();
    const other = controlledSend();
    const caller = coalescer.add([1], first.send);
    expect(first.calls.map((call) => call.batch)).toEqual([[1]]);
    // Others only leave their items: they make no call and do not wait.
    await coalescer.add([2], other.send);
    await coalescer.add([3], other.send);
    expect(other.calls).toEqual([]);
    first.calls[0]?.finish();
    await tick();
    expect(first.calls.map((call) => call.batch)).toEqual([[1], [2, 3]]);
    first.calls[1]?.finish();
    await caller;
    // Idle again: the next caller sends its own.
    const later = coalescer.add([4], other.send);
    expect(other.calls.map((call) => call.batch)).toEqual([[4]]);
    other.calls[0]?.finish();
    await later;
  });

  it("rejects the caller whose call failed, and sends later items all the same", async () => {
    const coalescer = new Coalescer<number>();
    const { calls, send } = controlledSend();
    const failing = coalescer.add([1], send);
    calls[0]?.finish(new Error("down"));
    await expect(failing).rejects.toThrow("down");
    const next = coalescer.add([2], send);
    expect(calls.map((call) => call.batch)).toEqual([[1], [2]]);
    calls[1]?.finish();
    await next;
  });
});

import { describe, expect, it } from "vitest";
import { continueTrace, formatTraceparent } from "../../src/lib/trace";
import { Tracer } from "../../src/lib/tracing";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT = "00f067aa0ba902b7";

describe("continueTrace", () => {
  it("continues a valid version-00 traceparent and keeps tracestate", () => {
    const trace = continueTrace(`00-${TRACE}-${PARENT}-00`, "vendor=abc");
    expect(trace).toMatchObject({
      traceId: TRACE,
      parentSpanId: PARENT,
      flags: "00",
      tracestate: "vendor=abc",
    });
    expect(trace.spanId).not.toBe(PARENT);
  });

  it("accepts a future version with extra fields", () => {
    expect(continueTrace(`01-${TRACE}-${PARENT}-01-extra`, undefined).traceId).toBe(TRACE);
  });

  it.each([
    ["absent", undefined],
    ["version ff", `ff-${TRACE}-${PARENT}-01`],
    ["version 00 with extra fields", `00-${TRACE}-${PARENT}-01-extra`],
    ["all-zero trace id", `00-${"0".repeat(32)}-${PARENT}-01`],
    ["all-zero parent id", `00-${TRACE}-${"0".repeat(16)}-01`],
    ["upper case", `00-${TRACE.toUpperCase()}-${PARENT}-01`],
    ["short", `00-${TRACE.slice(1)}-${PARENT}-01`],
  ])("starts a new trace when traceparent is %s", (_, header) => {
    const trace = continueTrace(header, "vendor=abc");
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(trace.traceId).not.toBe(TRACE);
    expect(trace.parentSpanId).toBeUndefined();
    expect(trace.tracestate).toBeUndefined();
  });

  it("formats a traceparent", () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: PARENT, flags: "01" })).toBe(
      `00-${TRACE}-${PARENT}-01`,
    );
  });
});

describe("sampling", () => {
  it("keeps the caller's flags and samples new traces at the ratio", () => {
    expect(continueTrace(`00-${TRACE}-${PARENT}-00`, undefined, 1).flags).toBe("00");
    expect(continueTrace(`00-${TRACE}-${PARENT}-01`, undefined, 0).flags).toBe("01");
    expect(continueTrace(undefined, undefined, 0).flags).toBe("00");
    expect(continueTrace(undefined, undefined, 1).flags).toBe("01");
  });
});

describe("Tracer", () => {
  const root = { traceId: TRACE, spanId: PARENT };

  it("records nothing without a root, and still runs the work", async () => {
    const tracer = new Tracer();
    expect(await tracer.span("work", "client", {}, async () => 42)).toBe(42);
    tracer.start("x", "client").end();
    expect(tracer.recording).toBe(false);
    expect(await tracer.drain(10)).toEqual([]);
  });

  it("ends a span once, marks a thrown error by class, and waits for held work before draining", async () => {
    const tracer = new Tracer(root);
    const span = tracer.start("first", "client", { a: 1 });
    span.end();
    span.end({ error: new Error("late") });
    await expect(
      tracer.span("fails", "client", {}, async () => {
        throw new TypeError("secret detail");
      }),
    ).rejects.toThrow("secret detail");
    let release!: () => void;
    tracer.hold(
      new Promise<void>((resolve) => (release = resolve)).then(() => tracer.start("late", "client").end()),
    );
    setTimeout(() => release(), 20);
    const spans = await tracer.drain(5_000);
    expect(spans.map((item) => [item.name, item.parentSpanId, item.status])).toEqual([
      ["first", PARENT, { code: "unset" }],
      ["fails", PARENT, { code: "error", message: "TypeError" }],
      ["late", PARENT, { code: "unset" }],
    ]);
  });

  it("drains what has ended when held work outlives the timeout", async () => {
    const tracer = new Tracer(root);
    tracer.start("done", "client").end();
    tracer.start("never ends", "client");
    const spans = await tracer.drain(30);
    expect(spans.map((item) => item.name)).toEqual(["done"]);
  });
});

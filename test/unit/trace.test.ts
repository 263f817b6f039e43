import { describe, expect, it } from "vitest";
import { continueTrace, formatTraceparent } from "../../src/lib/trace";

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

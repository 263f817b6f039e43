// W3C Trace Context: continue a valid traceparent, start a new trace otherwise.
import { randomHex } from "./crypto";

export interface TraceContext {
  traceId: string;
  /** This request's span. */
  spanId: string;
  /** The caller's span, when the trace was continued. */
  parentSpanId?: string;
  flags: string;
  tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const TRACESTATE_MAX = 512;

function nonZeroHex(bytes: number): string {
  for (;;) {
    const value = randomHex(bytes);
    if (/[1-9a-f]/.test(value)) return value;
  }
}

export function newSpanId(): string {
  return nonZeroHex(8);
}

/**
 * Parses a traceparent per W3C rules: version ff and all-zero ids are invalid; future versions may
 * carry more. A continued trace keeps its caller's flags; a new one is sampled with `sampleRatio`.
 */
export function continueTrace(
  traceparent: string | undefined,
  tracestate: string | undefined,
  sampleRatio = 1,
): TraceContext {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  if (match) {
    const [, version, traceId, parentSpanId, flags, rest] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    const valid =
      version !== "ff" &&
      (version !== "00" || rest === undefined) &&
      !/^0+$/.test(traceId) &&
      !/^0+$/.test(parentSpanId);
    if (valid) {
      const state = tracestate?.trim();
      return {
        traceId,
        parentSpanId,
        spanId: newSpanId(),
        flags,
        ...(state && state.length <= TRACESTATE_MAX ? { tracestate: state } : {}),
      };
    }
  }
  return { traceId: nonZeroHex(16), spanId: newSpanId(), flags: Math.random() < sampleRatio ? "01" : "00" };
}

export function formatTraceparent(trace: Pick<TraceContext, "traceId" | "spanId" | "flags">): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

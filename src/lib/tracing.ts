// The spans of one request (or cron run): a root span with the ids the trace context already
// carries (so logs, `traceresponse` and Kafka headers name the same span), and client spans for
// the calls it makes. A tracer that does not record (no OTLP endpoint, or not sampled) runs the
// work and keeps nothing. Spans are exported by `src/infra/otlp.ts`.
import { sqlStateOf } from "./errors";
import { newSpanId, type TraceContext } from "./trace";

export type SpanKind = "server" | "client" | "producer";
export type Attributes = Record<string, string | number | boolean | undefined>;

export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: SpanKind;
  /** Epoch milliseconds. */
  startMs: number;
  endMs: number;
  attributes: Attributes;
  /** `error` carries a short description: a class of failure, never data. */
  status: { code: "unset" | "error"; message?: string };
}

export interface Span {
  /** Ends the span once; an error marks it failed; `name` renames it (a route known only later). */
  end(outcome?: { error?: unknown; attributes?: Attributes; name?: string }): void;
}

const NOOP_SPAN: Span = { end: () => undefined };

/** A failure's class for a span's status: a SQLSTATE or the error's name; a string is taken as is. */
export function errorKind(error: unknown): string {
  if (typeof error === "string") return error;
  const state = sqlStateOf(error);
  if (state) return `SQLSTATE ${state}`;
  return error instanceof Error ? error.name : typeof error;
}

export class Tracer {
  private readonly finished: SpanRecord[] = [];
  private readonly pending = new Set<Promise<unknown>>();

  /** `root` undefined: records nothing. */
  constructor(private readonly root?: Pick<TraceContext, "traceId" | "spanId" | "parentSpanId">) {}

  get recording(): boolean {
    return this.root !== undefined;
  }

  /** Starts the root span itself (its ids are the trace context's). */
  startRoot(name: string, kind: SpanKind, attributes: Attributes = {}, startMs = Date.now()): Span {
    if (!this.root) return NOOP_SPAN;
    const { spanId, parentSpanId } = this.root;
    return this.begin({ name, kind, attributes, spanId, parentSpanId, startMs });
  }

  /** A child span of the root; end it with `end`. */
  start(name: string, kind: SpanKind, attributes: Attributes = {}): Span {
    if (!this.root) return NOOP_SPAN;
    return this.begin({ name, kind, attributes, spanId: newSpanId(), parentSpanId: this.root.spanId });
  }

  /** Runs `work` in a child span of the root; `describe` adds attributes from its result. */
  async span<T>(
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    work: () => Promise<T>,
    describe?: (result: T) => Attributes,
  ): Promise<T> {
    if (!this.root) return work();
    const span = this.start(name, kind, attributes);
    try {
      const result = await work();
      span.end(describe ? { attributes: describe(result) } : {});
      return result;
    } catch (error) {
      span.end({ error });
      throw error;
    }
  }

  /** Work after the response whose spans belong to this trace: `drain` waits for it. */
  hold(work: Promise<unknown>): void {
    if (!this.root) return;
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }

  /** The ended spans, once held work and open spans are done or `timeoutMs` has passed. */
  async drain(timeoutMs: number): Promise<SpanRecord[]> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const settled = (async () => {
      while (this.pending.size > 0) await Promise.all(this.pending);
    })();
    await Promise.race([settled, timeout]);
    clearTimeout(timer);
    return this.finished.splice(0);
  }

  private begin(span: {
    name: string;
    kind: SpanKind;
    attributes: Attributes;
    spanId: string;
    parentSpanId: string | undefined;
    startMs?: number;
  }): Span {
    const root = this.root as NonNullable<typeof this.root>;
    const startMs = span.startMs ?? Date.now();
    let done!: () => void;
    const open = new Promise<void>((resolve) => {
      done = resolve;
    });
    this.pending.add(open);
    let ended = false;
    return {
      end: (outcome = {}) => {
        if (ended) return;
        ended = true;
        this.finished.push({
          traceId: root.traceId,
          spanId: span.spanId,
          ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
          name: outcome.name ?? span.name,
          kind: span.kind,
          startMs,
          endMs: Math.max(startMs, Date.now()),
          attributes: { ...span.attributes, ...outcome.attributes },
          status:
            outcome.error === undefined
              ? { code: "unset" }
              : { code: "error", message: errorKind(outcome.error) },
        });
        this.pending.delete(open);
        done();
      },
    };
  }
}

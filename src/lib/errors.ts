// One error type and what any error means for the client (API.md "Envelope"); the handler that
// answers with the envelope is src/middleware/errors.ts.
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "BAD_REQUEST"
  | "VALIDATION_FAILED"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "NOT_ACCEPTABLE"
  | "BATCH_NOT_SUPPORTED"
  | "CONFLICT"
  | "PRECONDITION_FAILED"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "IDEMPOTENCY_KEY_REUSED"
  | "RATE_LIMITED"
  | "QUOTA_EXCEEDED"
  | "HEADERS_TOO_LARGE"
  | "OVERLOADED"
  | "DEPENDENCY_UNAVAILABLE"
  | "TIMEOUT"
  | "BAD_ENVIRONMENT"
  | "INTERNAL";

export interface ErrorDetail {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly options: { details?: ErrorDetail[]; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

/** The issues of a configuration that does not parse, by variable name; values are never included. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((issue) => issue.variable).join(", ")}`);
  }
}

/** A dependency (the database, …) could not be reached or did not answer: 503, never 500. */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: string,
    options: { cause?: unknown } = {},
  ) {
    super(`${dependency} unavailable`, options);
  }
}

/** The code a bare HTTP status maps to, for errors raised by Hono's own middleware. */
const codeForStatus: Partial<Record<number, ErrorCode>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  409: "CONFLICT",
  412: "PRECONDITION_FAILED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  431: "HEADERS_TOO_LARGE",
  503: "DEPENDENCY_UNAVAILABLE",
  504: "TIMEOUT",
};

interface ErrorLink {
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  /** A failed query: drizzle's error carries its SQL and its parameters. */
  query?: unknown;
  params?: unknown;
}

/** An error and its causes, outermost first (at most five). */
function* causeChain(error: unknown): Generator<ErrorLink> {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    yield current as ErrorLink;
    current = (current as ErrorLink).cause;
  }
}

/** The PostgreSQL SQLSTATE in an error's cause chain (the innermost one), if any. */
export function sqlStateOf(error: unknown): string | undefined {
  let state: string | undefined;
  for (const link of causeChain(error)) {
    if (typeof link.code === "string" && /^[0-9A-Z]{5}$/.test(link.code)) state = link.code;
  }
  return state;
}

const isFailedQuery = (link: ErrorLink) => typeof link.query === "string" && Array.isArray(link.params);

/** SQLSTATEs of a database that is going away or refusing connections, not of a bad query. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;

/**
 * True when the database could not be reached: a failed query whose cause has no SQLSTATE (the
 * server never answered), or a connection SQLSTATE.
 */
function databaseUnavailable(error: unknown): boolean {
  if ([...causeChain(error)].some((link) => link instanceof DependencyUnavailable)) return true;
  const state = sqlStateOf(error);
  return state ? UNAVAILABLE_SQLSTATE.test(state) : [...causeChain(error)].some(isFailedQuery);
}

/** Turns anything thrown into an ApiError; what is not already one becomes a 500 that says nothing. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const gate = [...causeChain(error)].find(
    (link) => link instanceof DependencyUnavailable && link.dependency === "gate",
  );
  if (gate) {
    return new ApiError(503, "DEPENDENCY_UNAVAILABLE", "The tenant gate is unavailable; retry shortly.", {
      headers: { "Retry-After": "1" },
      cause: error,
    });
  }
  if (databaseUnavailable(error)) {
    return new ApiError(503, "DEPENDENCY_UNAVAILABLE", "The database is unavailable; retry shortly.", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
  if (error instanceof ConfigError) {
    return new ApiError(500, "BAD_ENVIRONMENT", "The service is misconfigured.", { cause: error });
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForStatus[error.status] ?? "BAD_REQUEST";
    return new ApiError(error.status as ContentfulStatusCode, code, error.message || code, { cause: error });
  }
  return new ApiError(500, "INTERNAL", "An internal error occurred.", { cause: error });
}

/**
 * What a log may say about an error: each message of its cause chain, the SQL text and SQLSTATE of
 * a failed query — never a query's parameters (they carry tenant data; a failed query's own
 * message lists them, so it is replaced by its SQL).
 */
export function describeError(error: unknown): {
  error: string;
  query?: string;
  sqlstate?: string;
  stack?: string;
} {
  const messages: string[] = [];
  let query: string | undefined;
  for (const link of causeChain(error)) {
    if (isFailedQuery(link)) query = String(link.query).slice(0, 500);
    else messages.push(typeof link.message === "string" ? link.message : String(link));
  }
  const sqlstate = sqlStateOf(error);
  // Frames only: the stack's head repeats the message (with a failed query's parameters).
  const stack =
    error instanceof Error
      ? error.stack
          ?.split("\n")
          .filter((line) => line.trimStart().startsWith("at "))
          .join("\n")
      : undefined;
  return {
    error: messages.join(": ") || "query failed",
    ...(query ? { query } : {}),
    ...(sqlstate ? { sqlstate } : {}),
    ...(stack ? { stack } : {}),
  };
}

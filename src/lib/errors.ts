// One error type, one envelope (API.md "Envelope"), one handler.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../context";
import { ConfigError } from "../env";

export type ErrorCode =
  | "BAD_REQUEST"
  | "VALIDATION_FAILED"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
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

/** Turns anything thrown into an ApiError; what is not already one becomes a 500 that says nothing. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ConfigError) {
    return new ApiError(500, "BAD_ENVIRONMENT", "The service is misconfigured.", { cause: error });
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = codeForStatus[error.status] ?? "BAD_REQUEST";
    return new ApiError(error.status as ContentfulStatusCode, code, error.message || code, { cause: error });
  }
  return new ApiError(500, "INTERNAL", "An internal error occurred.", { cause: error });
}

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      request_id: c.get("requestId"),
      ...(error.options.details ? { details: error.options.details } : {}),
    },
  };
  return c.json(body, error.status, error.options.headers);
}

/** The app's onError: logs what the client is not told, answers the envelope. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  const log = c.get("logger");
  if (error instanceof ApiError) {
    // A refusal the service chose (overloaded, timeout, …): worth a line, not a stack.
    if (apiError.status >= 500) log?.warn("request refused", { code: apiError.code });
  } else if (apiError.status >= 500) {
    const cause = apiError.options.cause ?? error;
    log?.error("request failed", {
      code: apiError.code,
      error: cause instanceof Error ? cause.message : String(cause),
      stack: cause instanceof Error ? cause.stack : undefined,
      ...(cause instanceof ConfigError ? { invalid: cause.issues } : {}),
    });
  }
  return errorResponse(c, apiError);
}

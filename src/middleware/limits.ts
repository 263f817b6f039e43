// Size, media-type and time limits (API.md "Headers"), checked before any authentication.
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { ApiError } from "../lib/errors";

/** 431 when the request's header names and values together exceed the configured bytes. */
export function headerLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const max = c.get("config").MAX_HEADER_BYTES;
    let total = 0;
    const encoder = new TextEncoder();
    c.req.raw.headers.forEach((value, name) => {
      total += encoder.encode(name).length + encoder.encode(value).length;
    });
    if (total > max) {
      throw new ApiError(431, "HEADERS_TOO_LARGE", `Request headers exceed ${max} bytes.`);
    }
    await next();
  });
}

function hasBody(request: Request): boolean {
  const length = request.headers.get("content-length");
  if (length !== null) return length !== "0";
  return request.headers.has("transfer-encoding") || request.body !== null;
}

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/** 415 when a body is present and is not JSON; a request without a body needs no Content-Type. */
export function jsonOnly() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (hasBody(c.req.raw)) {
      const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim() ?? "";
      if (!JSON_MEDIA_TYPE.test(mediaType)) {
        throw new ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "Request bodies must be application/json.");
      }
    }
    await next();
  });
}

/** 413 past the configured body size, whether or not Content-Length tells the truth. */
export function bodySizeLimit() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const maxSize = c.get("config").MAX_BODY_BYTES;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "PAYLOAD_TOO_LARGE", `Request body exceeds ${maxSize} bytes.`);
      },
    })(c, next);
  });
}

/** 504 when the whole request takes longer than its budget. */
export function requestBudget() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const ms = c.get("config").REQUEST_TIMEOUT_MS;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError(504, "TIMEOUT", `The request did not finish within ${ms} ms.`)),
        ms,
      );
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  });
}

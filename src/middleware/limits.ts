// Size, media-type and time limits (API.md "Headers"), checked before any authentication.
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context";
import { ApiError } from "../lib/errors";
import { guardJson, JsonGuardError } from "../lib/json-guard";

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
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * 415 when a body is present and is not JSON, or names a charset other than UTF-8 (JSON is UTF-8,
 * RFC 8259); a request without a body needs no Content-Type.
 */
export function jsonOnly() {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (hasBody(c.req.raw)) {
      const contentType = c.req.header("content-type") ?? "";
      const mediaType = contentType.split(";")[0]?.trim() ?? "";
      const charset = CHARSET.exec(contentType)?.[1]?.toLowerCase();
      if (
        !JSON_MEDIA_TYPE.test(mediaType) ||
        (charset !== undefined && charset !== "utf-8" && charset !== "utf8")
      ) {
        throw new ApiError(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "Request bodies must be application/json in UTF-8.",
        );
      }
    }
    await next();
  });
}

/**
 * 400 for text the API would otherwise store altered or fail on later: a query parameter with a NUL,
 * a body that is not valid UTF-8, or one `guardJson` refuses (depth, NUL, lone surrogates, numbers
 * JSON.parse would change, duplicate or `__proto__` keys). Handlers read the checked text.
 */
export function textGuard() {
  return createMiddleware<AppEnv>(async (c, next) => {
    for (const [name, value] of new URL(c.req.url).searchParams) {
      if (value.includes("\u0000") || name.includes("\u0000")) {
        throw invalid(name, "must not contain U+0000 (NUL)");
      }
    }
    if (hasBody(c.req.raw)) {
      // Read outside the try: a body past the size limit fails here with its own 413.
      const bytes = await c.req.arrayBuffer();
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
      } catch {
        throw new ApiError(400, "BAD_REQUEST", "The request body is not valid UTF-8.");
      }
      try {
        guardJson(text);
      } catch (error) {
        if (error instanceof JsonGuardError) throw invalid(error.path || "(body)", error.message);
        // A syntax error is reported where the body is parsed, as before.
      }
      // Hono keeps promises in its body cache (its type says values): with the text cached, the
      // validator's json() and a handler's text() read it instead of decoding the bytes again.
      Object.assign(c.req.bodyCache, { text: Promise.resolve(text) });
    }
    await next();
  });
}

const invalid = (path: string, message: string) =>
  new ApiError(400, "VALIDATION_FAILED", "The request is invalid.", { details: [{ path, message }] });

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

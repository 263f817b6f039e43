// Security headers (API.md "Headers") and CORS from the configured allow-list.
import { cors as honoCors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../context";

const common = {
  strictTransportSecurity: "max-age=63072000; includeSubDomains",
  xFrameOptions: "DENY",
  xContentTypeOptions: true,
  referrerPolicy: "no-referrer",
} as const;

const strict = secureHeaders({
  ...common,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
});

// The reference page loads Swagger UI from its CDN and fetches /openapi.json.
const DOCS_CDN = "https://cdn.jsdelivr.net";
const relaxedForDocs = secureHeaders({
  ...common,
  crossOriginResourcePolicy: false,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: [DOCS_CDN, "'unsafe-inline'"],
    styleSrc: [DOCS_CDN, "'unsafe-inline'"],
    imgSrc: ["'self'", "data:", DOCS_CDN],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
  },
});

export function securityHeaders() {
  return createMiddleware<AppEnv>((c, next) => (c.req.path === "/docs" ? relaxedForDocs : strict)(c, next));
}

export function cors() {
  return createMiddleware<AppEnv>((c, next) => {
    const allowed = c.get("config").CORS_ORIGINS;
    return honoCors({
      origin: (origin) => (allowed.includes("*") || allowed.includes(origin) ? origin : null),
      allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
      allowHeaders: [
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "If-Match",
        "If-None-Match",
        "X-API-Key",
        "X-Request-Id",
        "traceparent",
        "tracestate",
      ],
      exposeHeaders: [
        "ETag",
        "Retry-After",
        "X-Request-Id",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Idempotent-Replayed",
        "traceresponse",
        "Deprecation",
        "Sunset",
        "Link",
      ],
      maxAge: 600,
    })(c, next);
  });
}

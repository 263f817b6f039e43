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

// The reference page (/docs) and its files are the Worker's own: scripts, styles and the document
// from 'self' only, images also as data: URIs (Swagger UI's icons), nothing inline.
const forDocs = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
});

const isDocs = (path: string) => path === "/docs" || path.startsWith("/docs/");

export function securityHeaders() {
  return createMiddleware<AppEnv>(async (c, next) => {
    await (isDocs(c.req.path) ? forDocs : strict)(c, next);
    const page = c.get("pagePolicy");
    if (page) c.res.headers.set("Content-Security-Policy", page);
  });
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

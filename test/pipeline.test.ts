// The request pipeline (API.md "Envelope" and "Headers"): every malformed request gets its status
// and the envelope; every response gets the request id, trace and security headers.
import { createRoute, z } from "@hono/zod-openapi";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { errorResponses, jsonBody } from "../src/routes/openapi";
import { createTenant } from "./fixtures";
import { call, callApp, expectError } from "./helpers";

/** The real app plus routes that exercise body handling, slowness and crashes. */
function appWithTestRoutes() {
  const app = createApp();
  app.openapi(
    createRoute({
      method: "post",
      path: "/__test/echo",
      request: { body: jsonBody(z.strictObject({ name: z.string().min(1), size: z.number().int() })) },
      responses: { 200: { description: "echo" }, ...errorResponses(400, 413, 415) },
    }),
    (c) => c.json(c.req.valid("json"), 200),
  );
  app.get("/__test/slow", async (c) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return c.json({ late: true });
  });
  app.get("/__test/crash", () => {
    throw new Error("secret internal detail at db.internal.example:5432");
  });
  return app;
}

// The test routes sit behind authentication like every non-public route.
let auth: Record<string, string> = {};
beforeAll(async () => {
  auth = (await createTenant()).admin.headers;
});
const authed = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...auth, ...(init.headers as object) },
});
const json = (body: unknown): RequestInit =>
  authed({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("routing", () => {
  it("answers 404 NOT_FOUND for an unknown path", async () => {
    await expectError(await call("/api/v1/nothing-here"), 404, "NOT_FOUND");
  });

  it("answers 405 METHOD_NOT_ALLOWED with Allow for a known path and a wrong method", async () => {
    const response = await call("/health/live", { method: "DELETE" });
    expect(response.headers.get("allow")).toBe("GET, HEAD");
    await expectError(response, 405, "METHOD_NOT_ALLOWED");
  });

  it("decides 405 before looking at the body", async () => {
    const response = await call("/health/live", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    await expectError(response, 405, "METHOD_NOT_ALLOWED");
  });

  it("answers HEAD on GET routes", async () => {
    expect((await call("/health/live", { method: "HEAD" })).status).toBe(200);
  });
});

describe("bodies", () => {
  const app = appWithTestRoutes();

  it("accepts a valid JSON body", async () => {
    const response = await callApp(app, "/__test/echo", json({ name: "a", size: 1 }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: "a", size: 1 });
  });

  it("answers 400 BAD_REQUEST for malformed JSON", async () => {
    const response = await callApp(
      app,
      "/__test/echo",
      authed({ method: "POST", headers: { "content-type": "application/json" }, body: '{"name": "a",' }),
    );
    await expectError(response, 400, "BAD_REQUEST");
  });

  it("answers 400 VALIDATION_FAILED with one detail per violation", async () => {
    const error = await expectError(
      await callApp(app, "/__test/echo", json({ name: "", size: "big", extra: true })),
      400,
      "VALIDATION_FAILED",
    );
    expect(error.details?.map((detail) => detail.path).sort()).toEqual(["", "name", "size"]);
  });

  it("answers 415 UNSUPPORTED_MEDIA_TYPE for a body that is not JSON", async () => {
    const response = await callApp(app, "/__test/echo", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "name=a",
    });
    await expectError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("answers 415 for a body without a Content-Type", async () => {
    const response = await callApp(app, "/__test/echo", { method: "POST", body: new Uint8Array([1, 2, 3]) });
    await expectError(response, 415, "UNSUPPORTED_MEDIA_TYPE");
  });

  it("needs no Content-Type on a POST without a body (then validation speaks)", async () => {
    const error = await expectError(
      await callApp(app, "/__test/echo", authed({ method: "POST" })),
      400,
      "VALIDATION_FAILED",
    );
    expect(error.details?.map((detail) => detail.path).sort()).toEqual(["name", "size"]);
  });

  it("answers 413 PAYLOAD_TOO_LARGE for a body over 1 MiB with Content-Length", async () => {
    const big = JSON.stringify({ name: "x".repeat(1_048_577), size: 1 });
    await expectError(await callApp(app, "/__test/echo", json(JSON.parse(big))), 413, "PAYLOAD_TOO_LARGE");
  });

  it("answers 413 for a streamed body over 1 MiB that declares no length", async () => {
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 20) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const response = await callApp(app, "/__test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      // @ts-expect-error workerd needs duplex for a streamed request body
      duplex: "half",
    });
    await expectError(response, 413, "PAYLOAD_TOO_LARGE");
  });
});

describe("headers and budgets", () => {
  const app = appWithTestRoutes();

  it("answers 431 HEADERS_TOO_LARGE past 8 KiB of headers", async () => {
    const response = await call("/health/live", { headers: { "x-filler": "y".repeat(8_200) } });
    await expectError(response, 431, "HEADERS_TOO_LARGE");
  });

  it("accepts headers just under the limit", async () => {
    expect((await call("/health/live", { headers: { "x-filler": "y".repeat(7_000) } })).status).toBe(200);
  });

  it("answers 504 TIMEOUT when the request outlives its budget", async () => {
    const response = await callApp(app, "/__test/slow", authed(), { REQUEST_TIMEOUT_MS: "50" });
    await expectError(response, 504, "TIMEOUT");
  });

  it("answers a thrown error with 500 INTERNAL and nothing but the request id", async () => {
    const response = await callApp(app, "/__test/crash", authed());
    const text = await response.clone().text();
    expect(text).not.toMatch(/secret|db\.internal|at |stack/i);
    const error = await expectError(response, 500, "INTERNAL");
    expect(Object.keys(error).sort()).toEqual(["code", "message", "request_id"]);
  });
});

describe("configuration", () => {
  const app = createApp();

  it("answers 500 BAD_ENVIRONMENT when a required variable is missing", async () => {
    const response = await callApp(app, "/health/live", {}, { DATABASE_URL: undefined });
    const error = await expectError(response, 500, "BAD_ENVIRONMENT");
    expect(error.message).not.toMatch(/DATABASE_URL|postgres/);
  });

  it("refuses a wildcard CORS origin in production", async () => {
    const response = await callApp(app, "/health/live", {}, { ENVIRONMENT: "production", CORS_ORIGINS: "*" });
    await expectError(response, 500, "BAD_ENVIRONMENT");
  });

  it("allows a wildcard CORS origin outside production", async () => {
    const response = await callApp(
      app,
      "/health/live",
      { headers: { origin: "https://any.example" } },
      { CORS_ORIGINS: "*" },
    );
    expect(response.headers.get("access-control-allow-origin")).toBe("https://any.example");
  });
});

describe("request id and trace context", () => {
  it("echoes a sane X-Request-Id", async () => {
    const response = await call("/health/live", { headers: { "x-request-id": "build-42.step_7" } });
    expect(response.headers.get("x-request-id")).toBe("build-42.step_7");
  });

  it("replaces an unsafe X-Request-Id with a ULID", async () => {
    const response = await call("/nope", { headers: { "x-request-id": "bad id\twith spaces" } });
    const id = response.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect((await expectError(response, 404, "NOT_FOUND")).request_id).toBe(id);
  });

  it("continues a valid traceparent with a new span", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const response = await call("/health/live", { headers: { traceparent } });
    const [version, traceId, spanId, flags] = (response.headers.get("traceresponse") ?? "").split("-");
    expect({ version, traceId, flags }).toEqual({
      version: "00",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      flags: "01",
    });
    expect(spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(spanId).not.toBe("00f067aa0ba902b7");
  });

  it("starts a new trace when traceparent is invalid", async () => {
    const response = await call("/health/live", {
      headers: { traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" },
    });
    expect(response.headers.get("traceresponse")).toMatch(/^00-(?!0{32})[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});

describe("security headers and CORS", () => {
  const expected = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  };

  it.each(["/health/live", "/nope", "/openapi.json"])("sets them on %s", async (path) => {
    const response = await call(path);
    for (const [name, value] of Object.entries(expected))
      expect(response.headers.get(name), name).toBe(value);
  });

  it("answers a preflight from an allowed origin without authentication", async () => {
    const app = createApp();
    const response = await callApp(
      app,
      "/api/v1/events",
      {
        method: "OPTIONS",
        headers: { origin: "https://ci.example", "access-control-request-method": "POST" },
      },
      { CORS_ORIGINS: "https://ci.example" },
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("https://ci.example");
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("gives no CORS grant to an origin off the list", async () => {
    const response = await call("/health/live", { headers: { origin: "https://evil.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
  });
});

// The docs routes (src/routes/docs/): the OpenAPI document, generated from the route definitions
// (every route is in it, with its errors), and the reference page at /docs.
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call } from "../helpers";

interface Document {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        security?: Record<string, string[]>[];
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      }
    >
  >;
  components: { schemas: Record<string, unknown> };
}

/** Responses documented with a body of their own instead of the error envelope. */
const NOT_ENVELOPE: Record<string, string> = { "get /health/ready 503": "#/components/schemas/Readiness" };

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

describe("openapi: GET /openapi.json", async () => {
  const response = await call("/openapi.json");
  const document = (await response.json()) as Document;

  it("is an OpenAPI 3.1 document", () => {
    expect(response.status).toBe(200);
    expect(document.openapi).toBe("3.1.0");
    expect(document.components.schemas.Error).toBeDefined();
  });

  const routes = createApp()
    .routes.filter((route) => route.method !== "ALL")
    .map((route) => ({ method: route.method.toLowerCase(), path: toOpenApiPath(route.path) }));

  it("has routes to check", () => expect(routes.length).toBeGreaterThan(3));

  it.each(routes)("describes $method $path with its error responses in the envelope", ({ method, path }) => {
    const operation = document.paths[path]?.[method];
    expect(operation, `${method} ${path} is missing`).toBeDefined();
    const errors = Object.entries(operation?.responses ?? {}).filter(([status]) => Number(status) >= 400);
    expect(errors.map(([status]) => status)).toEqual(expect.arrayContaining(["405", "500"]));
    for (const [status, error] of errors) {
      const ref = NOT_ENVELOPE[`${method} ${path} ${status}`] ?? "#/components/schemas/Error";
      expect(error.content?.["application/json"]?.schema, status).toEqual({ $ref: ref });
    }
  });

  it("names every operation once, after its file, and says which need no credentials", () => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, ...operation })),
    );
    const ids = operations.map((operation) => operation.operationId);
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths["/api/v1/events"]?.post?.operationId).toBe("createEvent");
    const open = operations.filter((operation) => operation.security?.length === 0).map((o) => o.path);
    expect(open.sort()).toEqual(
      [
        "/.well-known/jwks.json",
        "/api/v1/auth/token",
        "/docs",
        "/health/live",
        "/health/ready",
        "/openapi.json",
      ].sort(),
    );
    // Every other operation names how to authenticate.
    for (const operation of operations.filter((o) => !open.includes(o.path))) {
      expect(operation.security?.length, `${operation.method} ${operation.path}`).toBeGreaterThan(0);
    }
  });
});

describe("reference: GET /docs", () => {
  it("serves the reference page, relaxing the CSP for it alone", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("script-src https://cdn.jsdelivr.net");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await response.text()).toContain("/openapi.json");
  });
});

// The docs routes (src/routes/docs/): the OpenAPI document, generated from the route definitions
// (every route is in it, with its errors), and the reference page at /docs.
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { call, expectError } from "../helpers";

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
    // The GraphQL paths answer every error in GraphQL's shape (API.md "GraphQL").
    const envelope = path.startsWith("/api/v1/graphql")
      ? "#/components/schemas/GraphQLResponse"
      : "#/components/schemas/Error";
    for (const [status, error] of errors) {
      const ref = NOT_ENVELOPE[`${method} ${path} ${status}`] ?? envelope;
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
        "/docs/{file}",
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
  it("serves Swagger UI from the Worker itself under a CSP of 'self', nothing inline", async () => {
    const response = await call("/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toMatch(/https?:/);
    const html = await response.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(sources.length).toBeGreaterThan(2);
    for (const source of sources) expect(source).toMatch(/^\/docs\//);
    expect(html).not.toMatch(/<script>|<style|style=/);
  });

  it("stays outside the anonymous limit of 10 a minute (a per-IP limit of 120)", async () => {
    const headers = { "cf-connecting-ip": `docs-${crypto.randomUUID()}` };
    for (const path of ["/docs", "/openapi.json"]) {
      const statuses = await Promise.all(
        Array.from({ length: 12 }, () => call(path, { headers }).then((r) => r.status)),
      );
      expect(
        statuses.every((status) => status === 200),
        `${path}: ${statuses}`,
      ).toBe(true);
    }
  });
});

describe("reference-asset: GET /docs/{file}", () => {
  it("serves the page's files from the pinned package, cacheable, with ETag revalidation", async () => {
    for (const [file, type] of [
      ["swagger-ui-bundle.js", "javascript"],
      ["swagger-ui.css", "text/css"],
      ["favicon-32x32.png", "image/png"],
      ["reference.js", "text/javascript"],
    ] as const) {
      const response = await call(`/docs/${file}`);
      expect(response.status, file).toBe(200);
      expect(response.headers.get("content-type"), file).toContain(type);
      expect(response.headers.get("cache-control"), file).toContain("max-age");
      expect((await response.arrayBuffer()).byteLength, file).toBeGreaterThan(50);
    }
    const bundle = await call("/docs/swagger-ui-bundle.js");
    await bundle.arrayBuffer();
    const etag = bundle.headers.get("etag");
    expect(etag).toBeTruthy();
    const again = await call("/docs/swagger-ui-bundle.js", { headers: { "If-None-Match": etag ?? "" } });
    expect(again.status).toBe(304);
  });

  it("answers 404 for any other file of the package, or outside it", async () => {
    for (const file of [
      "package.json",
      "index.html",
      "swagger-initializer.js",
      "..%2Fpackage.json",
      "README.md",
    ]) {
      await expectError(await call(`/docs/${file}`), 404, "NOT_FOUND");
    }
  });
});

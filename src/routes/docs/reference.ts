import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../lib/errors";
import { type AppRouter, ETAG_HEADER, errorResponses } from "../openapi";

// Public: no credentials (API.md "Authentication"), under a generous per-IP limit (src/app.ts).
const page = createRoute({
  method: "get",
  operationId: "reference",
  security: [],
  path: "/docs",
  tags: ["Operations"],
  summary: "Interactive API reference (Swagger UI, served by this Worker)",
  responses: {
    200: { description: "HTML reference (Swagger UI)", content: { "text/html": { schema: z.string() } } },
    ...errorResponses(429, 503),
  },
});

const asset = createRoute({
  method: "get",
  operationId: "referenceAsset",
  security: [],
  path: "/docs/{file}",
  tags: ["Operations"],
  summary: "A file of the reference page",
  request: { params: z.object({ file: z.string().max(64) }) },
  responses: {
    200: {
      headers: ETAG_HEADER,
      description: "The file: Swagger UI's (pinned npm package `swagger-ui-dist`) or the page's start script",
      content: {
        "text/css": { schema: z.string() },
        "text/javascript": { schema: z.string() },
        "image/png": { schema: z.string().openapi({ format: "binary" }) },
      },
    },
    304: { description: "Not modified (If-None-Match)", headers: ETAG_HEADER },
    ...errorResponses(404, 429, 503),
  },
});

/** Swagger UI's files the page loads, served from the `[assets]` binding (wrangler.toml). */
const SWAGGER_FILES = new Set(["swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png"]);

// No inline script or style: the page's CSP is 'self' (src/middleware/security.ts).
const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>xzepr-edge API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/reference.js"></script>
  </body>
</html>`;

const start = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n`;

/** Registers `/docs` and its files on the whole app. */
export const registerReference = (app: AppRouter) =>
  app
    .openapi(page, (c) => c.html(html, 200))
    .openapi(asset, async (c) => {
      const { file } = c.req.valid("param");
      const cacheControl = "public, max-age=3600";
      if (file === "reference.js")
        return c.body(start, 200, {
          "Content-Type": "text/javascript; charset=utf-8",
          "Cache-Control": cacheControl,
        });
      const assets = c.get("config").ASSETS;
      if (!SWAGGER_FILES.has(file) || !assets)
        throw new ApiError(404, "NOT_FOUND", `No file ${file} in /docs.`);
      const headers = new Headers();
      const ifNoneMatch = c.req.header("if-none-match");
      if (ifNoneMatch) headers.set("If-None-Match", ifNoneMatch);
      const found = await assets.fetch(new URL(`/${file}`, c.req.url), { headers });
      if (found.status !== 200 && found.status !== 304)
        throw new Error(`assets answered ${found.status} for ${file}`);
      const answer = new Response(found.body, found);
      answer.headers.set("Cache-Control", cacheControl);
      return answer;
    });

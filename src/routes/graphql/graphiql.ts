// GraphiQL at GET /api/v1/graphql for a browser that asks for HTML, outside production only
// (API.md "GraphQL"). The page is public (the credentials go in GraphiQL's Headers tab); its
// scripts come from unpkg at pinned versions with Subresource Integrity, so that a changed file is
// not run. The hashes are the npm packages' files (`npm pack graphiql@3.8.2 react@18.3.1
// react-dom@18.3.1`, then `openssl dgst -sha384 -binary FILE | openssl base64 -A`).
import type { Context } from "hono";
import type { AppEnv } from "../../context";
import { sha256Base64 } from "../../lib/crypto";
import { isGraphqlPath } from "../../lib/graphql-errors";

const CDN = "https://unpkg.com";
const FILES = {
  react: {
    src: `${CDN}/react@18.3.1/umd/react.production.min.js`,
    integrity: "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z",
  },
  reactDom: {
    src: `${CDN}/react-dom@18.3.1/umd/react-dom.production.min.js`,
    integrity: "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1",
  },
  graphiql: {
    src: `${CDN}/graphiql@3.8.2/graphiql.min.js`,
    integrity: "sha384-WbG8FxjKLHIn8rXXIkCk98zN52bWTZvZROLPcuKUa+nOhbZwMjh1lLFAHVvV9VUc",
  },
  css: {
    src: `${CDN}/graphiql@3.8.2/graphiql.min.css`,
    integrity: "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM",
  },
};

/** The page's one inline script, allowed by its hash in the page's Content-Security-Policy. */
const START = `const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(React.createElement(GraphiQL, { fetcher: GraphiQL.createFetcher({ url: location.pathname }), defaultHeaders: '{"Authorization": "Bearer …"}' }));`;

const script = (file: { src: string; integrity: string }) =>
  `<script src="${file.src}" integrity="${file.integrity}" crossorigin="anonymous"></script>`;

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>xzepr-edge GraphiQL</title>
    <link rel="stylesheet" href="${FILES.css.src}" integrity="${FILES.css.integrity}" crossorigin="anonymous" />
    <style>body { margin: 0; } #graphiql { height: 100dvh; }</style>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL from ${CDN}…</div>
    ${script(FILES.react)}
    ${script(FILES.reactDom)}
    ${script(FILES.graphiql)}
    <script>${START}</script>
  </body>
</html>`;

/** A browser's GET for HTML, without a query, outside production. */
export function graphiqlServed(c: Context<AppEnv>): boolean {
  return (
    c.req.method === "GET" &&
    isGraphqlPath(c.req.path) &&
    c.get("config").ENVIRONMENT !== "production" &&
    (c.req.header("accept") ?? "").includes("text/html") &&
    !new URL(c.req.url).searchParams.has("query")
  );
}

let policy: Promise<string> | undefined;

/** The page's CSP: its pinned scripts and styles, its inline start script by hash, queries to itself. */
export function graphiqlPolicy(): Promise<string> {
  policy ??= sha256Base64(START).then((hash) =>
    [
      "default-src 'none'",
      `script-src ${CDN} 'sha256-${hash}'`,
      // GraphiQL's editor sets style attributes; styles only, on a local page.
      `style-src ${CDN} 'unsafe-inline'`,
      `font-src ${CDN} data:`,
      "img-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
  );
  return policy;
}

export const graphiqlPage = () => PAGE;

// Every response the integration tests receive is checked against the served OpenAPI document
// (GET /openapi.json): the status is one the operation declares, every header API.md names that the
// response carries is declared for that status (and every required one is there), and a JSON body
// satisfies the declared schema. A request to no documented path must get the error envelope.

import { SELF } from "cloudflare:test";
import { dereference, type Schema, validate } from "@cfworker/json-schema";

type Header = { required?: boolean; $ref?: string };
type Response = {
  headers?: Record<string, Header>;
  content?: Record<string, { schema?: Schema }>;
};
type Document = {
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
  components: { headers?: Record<string, Header>; schemas: Record<string, Schema> };
};

/** The headers of API.md's contract: when a response carries one, its operation must declare it. */
const CONTRACT_HEADERS = [
  "etag",
  "retry-after",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "idempotent-replayed",
  "x-request-id",
  "location",
  "deprecation",
  "sunset",
  "link",
];

interface Contract {
  document: Document;
  lookup: ReturnType<typeof dereference>;
  operations: { method: string; pattern: RegExp; path: string }[];
}

let contract: Promise<Contract> | undefined;

function load(): Promise<Contract> {
  contract ??= (async () => {
    const response = await SELF.fetch("https://xzepr.test/openapi.json", {
      headers: { "cf-connecting-ip": `contract-${crypto.randomUUID()}` },
    });
    if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
    const document = (await response.json()) as Document;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        method: method.toUpperCase(),
        path,
        pattern: new RegExp(`^${path.replace(/\{\w+\}/g, "[^/]+")}$`),
      })),
    );
    // Literal paths before templated ones (`/api/v1/auth/me` before a `{id}` sibling).
    operations.sort((a, b) => a.path.split("{").length - b.path.split("{").length);
    return { document, lookup: dereference(document as unknown as Schema), operations };
  })();
  return contract;
}

const problem = (what: string, request: Request, response: globalThis.Response, detail: string) =>
  new Error(
    `contract: ${request.method} ${new URL(request.url).pathname} → ${response.status}: ${what}${detail ? `: ${detail}` : ""}`,
  );

/** Throws when the response breaks the served document; returns the response untouched. */
export async function checkContract(
  request: Request,
  response: globalThis.Response,
): Promise<globalThis.Response> {
  const path = new URL(request.url).pathname;
  // CORS preflights are answered before routing; /__test/* are routes a test mounts on its own app.
  if (request.method === "OPTIONS" || path.startsWith("/__test/")) return response;
  const { document, lookup, operations } = await load();
  const method = request.method === "HEAD" ? "GET" : request.method;
  const match = operations.find((operation) => operation.method === method && operation.pattern.test(path));
  let declared: Response | undefined;
  if (match) {
    const responses = document.paths[match.path]?.[match.method.toLowerCase()]?.responses ?? {};
    declared = responses[String(response.status)];
    if (!declared) throw problem("status not declared", request, response, Object.keys(responses).join(", "));
  } else {
    // No such operation: the route guard's 404 or 405 (or a pipeline refusal before it) in the envelope.
    if (![400, 404, 405, 413, 415, 431, 500].includes(response.status))
      throw problem("undocumented path answered a non-error status", request, response, "");
    declared = { content: { "application/json": { schema: document.components.schemas.Error } } };
  }

  const declaredHeaders = Object.fromEntries(
    Object.entries(declared.headers ?? {}).map(([name, header]) => [name.toLowerCase(), header]),
  );
  for (const name of CONTRACT_HEADERS) {
    if (response.headers.has(name) && match && !declaredHeaders[name])
      throw problem(`header ${name} not declared`, request, response, "");
  }
  for (const [name, header] of Object.entries(declaredHeaders)) {
    const resolved = header.$ref ? document.components.headers?.[header.$ref.split("/").pop() ?? ""] : header;
    if (resolved?.required && !response.headers.has(name))
      throw problem(`required header ${name} missing`, request, response, "");
  }

  const text = request.method === "HEAD" ? "" : await response.clone().text();
  if (!text) return response;
  const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
  const content = declared.content?.[mediaType];
  if (!content)
    throw problem(
      `media type ${mediaType || "(none)"} not declared`,
      request,
      response,
      Object.keys(declared.content ?? {}).join(", "),
    );
  if (mediaType !== "application/json" || !content.schema) return response;
  const result = validate(JSON.parse(text), content.schema, "2020-12", lookup, false);
  if (!result.valid)
    throw problem(
      "body does not match the schema",
      request,
      response,
      result.errors
        .slice(-5)
        .map((error) => `${error.instanceLocation}: ${error.error}`)
        .join("; "),
    );
  return response;
}

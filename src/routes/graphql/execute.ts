// GraphQL beside REST (API.md "GraphQL"): POST and GET at /api/v1/graphql and at
// /api/v1/graphql/query (EPR's client), served by graphql-http, the GraphQL over HTTP reference
// server, over graphql-js. The request passes the same pipeline as any route first (credentials,
// admission: one request counts once, text guard, Idempotency-Key); then the guards refuse
// expensive documents before anything runs (./schema/guards.ts), and the resolvers call the domain
// services REST calls (./schema/resolvers.ts).
import { createRoute, z } from "@hono/zod-openapi";
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  getOperationAST,
  Kind,
  parse,
  type SelectionSetNode,
} from "graphql";
import { createHandler, type OperationArgs } from "graphql-http";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../context";
import { ApiError, describeError, type ErrorCode, toApiError } from "../../lib/errors";
import { GRAPHQL_PATHS } from "../../lib/graphql-errors";
import { serviceContext } from "../http";
import { SECURITY } from "../openapi";
import { graphiqlPage, graphiqlPolicy, graphiqlServed } from "./graphiql";
import { executableSchema } from "./schema/build";
import { checkDocument, GUARD_CODES, type GuardRule, introspectionAllowed, LIMITS } from "./schema/guards";
import { receiverLoader } from "./schema/loaders";
import type { GraphqlContext } from "./schema/resolvers";
import { content, DESCRIPTION, GraphqlQueryParams, GraphqlRequest, responses } from "./schemas";

export function countViolation(c: Context<AppEnv>, rule: GuardRule): void {
  c.get("metrics").inc("xzepr_graphql_complexity_violations_total", { rule });
  c.get("logger").info("graphql document refused", { rule });
}

/** A JSON array is a batch: refused, so that one request is one operation (and counts once). */
const refuseBatches = createMiddleware<AppEnv>(async (c, next) => {
  if (!(await c.req.text()).trimStart().startsWith("[")) return next();
  countViolation(c, "batch");
  throw new ApiError(
    400,
    GUARD_CODES.batch,
    "Batched operations are not supported: send one operation per request.",
  );
});

/**
 * The request's document, parsed once: admission reads it (the events it may create) before
 * graphql-http does; a document that does not parse throws each time.
 */
const parsed = new WeakMap<Context<AppEnv>, { query: string; document: DocumentNode }>();

function parseOnce(c: Context<AppEnv>, query: string): DocumentNode {
  const known = parsed.get(c);
  if (known?.query === query) return known.document;
  const document = parse(query, { maxTokens: LIMITS.tokens });
  parsed.set(c, { query, document });
  return document;
}

function routesAt<const P extends string>(path: P, suffix: string) {
  const post = createRoute({
    method: "post",
    operationId: `graphql${suffix}`,
    path,
    tags: ["GraphQL"],
    summary: "Run a GraphQL query or mutation",
    description: DESCRIPTION,
    security: SECURITY,
    middleware: [refuseBatches] as const,
    request: { body: { required: true, content: { "application/json": { schema: GraphqlRequest } } } },
    responses,
  });
  const get = createRoute({
    method: "get",
    operationId: `graphqlGet${suffix}`,
    path,
    tags: ["GraphQL"],
    summary: "Run a GraphQL query (no mutations); outside production a browser asking for HTML gets GraphiQL",
    description: DESCRIPTION,
    security: SECURITY,
    request: { query: GraphqlQueryParams },
    responses: {
      ...responses,
      200: { ...responses[200], content: { ...content, "text/html": { schema: z.string() } } },
    },
  });
  return { post, get };
}

export const routes = {
  graphql: routesAt(GRAPHQL_PATHS[0], ""),
  query: routesAt(GRAPHQL_PATHS[1], "Query"),
};

/** Errors of the service, not of the request: the client should retry later. */
const RETRYABLE = new Set([503, 504]);

/** Counts `create_event` fields of the mutation, through fragments: the events the request may create. */
function countCreates(document: DocumentNode, set: SelectionSetNode, seen = new Set<string>()): number {
  let count = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) count += selection.name.value === "create_event" ? 1 : 0;
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      count += countCreates(document, selection.selectionSet, seen);
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = document.definitions.find(
        (definition) =>
          definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION)
        count += countCreates(document, fragment.selectionSet, seen);
    }
  }
  return count;
}

/**
 * The events a GraphQL request may create (admission checks the monthly quota for them): its
 * `create_event` fields when it is a mutation that parses; 0 otherwise (it will be refused anyway).
 */
export async function eventsToCreate(c: Context<AppEnv>): Promise<number> {
  if (c.req.method !== "POST") return 0;
  try {
    // The bytes, not text(): the text guard after admission decodes them strictly.
    const body = JSON.parse(new TextDecoder().decode(await c.req.arrayBuffer())) as {
      query?: unknown;
      operationName?: unknown;
    };
    if (typeof body?.query !== "string") return 0;
    const document = parseOnce(c, body.query);
    const name = typeof body.operationName === "string" ? body.operationName : undefined;
    const operation = getOperationAST(document, name);
    return operation?.operation === "mutation" ? countCreates(document, operation.selectionSet) : 0;
  } catch {
    return 0;
  }
}

/** graphql-http's handler for this request: the guards, errors and context close over it. */
function handlerFor(c: Context<AppEnv>, state: { retry: boolean }) {
  const requestId = c.get("requestId");
  const config = c.get("config");
  const schema = executableSchema();
  const introspection = introspectionAllowed(config);

  /** Every error with a code and the request id; a service's error as its REST refusal says it. */
  const formatError = (error: Readonly<Error>): GraphQLError => {
    const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(error.message);
    const place = {
      nodes: graphqlError.nodes ?? null,
      source: graphqlError.source ?? null,
      positions: graphqlError.positions ?? null,
      path: graphqlError.path ?? null,
    };
    const code = graphqlError.extensions.code;
    const original = graphqlError.originalError;
    if (typeof code === "string" || !original) {
      // Without a code or a cause: graphql-js's own, variables that do not coerce to their types.
      const extensions = {
        ...graphqlError.extensions,
        code: code ?? "VALIDATION_FAILED",
        request_id: requestId,
      };
      return new GraphQLError(graphqlError.message, { ...place, extensions });
    }
    const apiError = toApiError(original);
    if (RETRYABLE.has(apiError.status)) state.retry = true;
    if (!(original instanceof ApiError) && apiError.status >= 500) {
      c.get("logger").error("graphql field failed", { code: apiError.code, ...describeError(original) });
    }
    const { details } = apiError.options;
    const extensions = { code: apiError.code, request_id: requestId, ...(details ? { details } : {}) };
    return new GraphQLError(apiError.message, { ...place, extensions });
  };

  return createHandler<Request, undefined, GraphqlContext>({
    schema,
    formatError,
    onSubscribe: (_request, params): OperationArgs<GraphqlContext> | readonly GraphQLError[] => {
      let document: DocumentNode;
      try {
        document = parseOnce(c, params.query);
      } catch (error) {
        const message = error instanceof Error ? error.message : "The document does not parse.";
        const tokens = /tokens/.test(message);
        if (tokens) countViolation(c, "tokens");
        const code = tokens ? GUARD_CODES.tokens : "GRAPHQL_PARSE_FAILED";
        return [new GraphQLError(message, { extensions: { code } })];
      }
      const verdict = checkDocument(schema, document, {
        variables: params.variables ?? {},
        operationName: params.operationName ?? undefined,
        introspection,
      });
      for (const rule of verdict.violated) countViolation(c, rule);
      if (verdict.errors.length > 0) return verdict.errors;
      const service = serviceContext(c);
      return {
        schema,
        document,
        operationName: params.operationName,
        variableValues: params.variables,
        contextValue: { c, service, receivers: receiverLoader(service) },
      };
    },
  });
}

/** The refusals graphql-http writes itself, without a code or request id (406: without a body). */
const OWN_REFUSALS: Record<number, { code: ErrorCode; message: string }> = {
  405: { code: "METHOD_NOT_ALLOWED", message: "A mutation cannot be sent with GET; use POST." },
  406: {
    code: "NOT_ACCEPTABLE",
    message: "Accept application/graphql-response+json or application/json (this body is the latter).",
  },
};

async function serve(c: Context<AppEnv>, body: Record<string, unknown> | null): Promise<Response> {
  const state = { retry: false };
  const [text, init] = await handlerFor(
    c,
    state,
  )({
    method: c.req.method,
    url: c.req.url,
    headers: { get: (name: string) => c.req.header(name) ?? null },
    body,
    raw: c.req.raw,
    context: undefined,
  });
  const headers = new Headers(init.headers);
  const refusal = OWN_REFUSALS[init.status];
  // Answered by the app's error handler, as every refusal on these paths is.
  if (refusal) {
    throw new ApiError(init.status as 405 | 406, refusal.code, refusal.message, {
      headers: Object.fromEntries(headers),
    });
  }
  let status = init.status;
  if (state.retry) {
    headers.set("Retry-After", "1");
    // No data because a dependency failed: the service's failure, as a REST route would answer it.
    if (text && (JSON.parse(text) as ExecutionResult).data == null) status = 503;
  }
  return new Response(text, { status, headers });
}

async function serveGet(c: Context<AppEnv>): Promise<Response> {
  if (!graphiqlServed(c)) return serve(c, null);
  c.set("pagePolicy", await graphiqlPolicy());
  return c.html(graphiqlPage(), 200);
}

export { serve, serveGet };

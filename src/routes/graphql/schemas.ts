// The GraphQL operations' request and response shapes for the OpenAPI document: GraphQL over
// HTTP's request (a JSON body, or query parameters over GET) and response (data, errors with
// extensions.code).
import { z } from "@hono/zod-openapi";
import { describedErrors } from "../openapi";
import { LIMITS } from "./schema/guards";

export const GraphqlRequest = z
  .object({
    query: z
      .string()
      .openapi({ example: "query ($obj: FindEventInput!){events(event: $obj) {id,name,version}}" }),
    operationName: z.string().nullish(),
    variables: z.record(z.string(), z.unknown()).nullish(),
    extensions: z.record(z.string(), z.unknown()).nullish(),
  })
  .openapi("GraphQLRequest");

export const GraphqlQueryParams = z.object({
  query: z.string().optional().openapi({ description: "The document (queries only over GET)" }),
  operationName: z.string().optional(),
  variables: z.string().optional().openapi({ description: "JSON text of the variables" }),
  extensions: z.string().optional().openapi({ description: "JSON text" }),
});

const GraphqlError = z
  .object({
    message: z.string(),
    locations: z.array(z.object({ line: z.number().int(), column: z.number().int() })).optional(),
    path: z.array(z.union([z.string(), z.number().int()])).optional(),
    extensions: z
      .object({
        code: z.string().openapi({ example: "VALIDATION_FAILED" }),
        request_id: z.string().optional(),
        details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      })
      .passthrough(),
  })
  .openapi("GraphQLError");

const GraphqlResponse = z
  .object({
    data: z.record(z.string(), z.unknown()).nullable().optional(),
    errors: z.array(GraphqlError).optional(),
  })
  .openapi("GraphQLResponse");

export const content = {
  "application/graphql-response+json": { schema: GraphqlResponse },
  "application/json": { schema: GraphqlResponse },
};

export const responses = {
  200: {
    description:
      "The GraphQL response: `data`, and `errors` with `extensions.code` for what failed (with application/json, also for documents refused before execution)",
    content,
  },
  ...describedErrors([400, 401, 405, 406, 413, 415, 429, 503], content),
};

export const DESCRIPTION = `EPR's schema verbatim plus Relay connections (\`schema.graphql\`). Same authentication, permissions, tenant scoping, rate limit (one request counts once), audit and outbox as REST. Documents past the guards (depth ${LIMITS.depth}, cost ${LIMITS.cost}, aliases ${LIMITS.aliases}, tokens ${LIMITS.tokens}, directives ${LIMITS.directives}) are refused before execution, and so are batches (a JSON array). A mutation over GET answers 405.`;

// GraphQL's error shape (API.md "GraphQL"): what any error of a GraphQL path looks like, whether
// the pipeline refused the request (401, 429, …) or GraphQL did. Pure, shared by the error handler
// and the GraphQL route.

/** The paths GraphQL is served at (EPR's client posts to the second). */
export const GRAPHQL_PATHS = ["/api/v1/graphql", "/api/v1/graphql/query"] as const;

export const isGraphqlPath = (path: string) =>
  (GRAPHQL_PATHS as readonly string[]).includes(path.replace(/\/+$/, ""));

/** GraphQL over HTTP: the newer media type when the client accepts it, application/json otherwise. */
export function graphqlMediaType(accept: string | undefined): string {
  const accepted = (accept ?? "").toLowerCase();
  return accepted.includes("application/graphql-response+json")
    ? "application/graphql-response+json; charset=utf-8"
    : "application/json; charset=utf-8";
}

export interface GraphqlErrorFields {
  code: string;
  message: string;
  requestId: string | undefined;
  details?: { path: string; message: string }[] | undefined;
}

export function graphqlErrorBody(error: GraphqlErrorFields) {
  return {
    errors: [
      {
        message: error.message,
        extensions: {
          code: error.code,
          ...(error.requestId ? { request_id: error.requestId } : {}),
          ...(error.details ? { details: error.details } : {}),
        },
      },
    ],
  };
}

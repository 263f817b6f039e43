// One envelope, one handler (API.md "Envelope"): every error leaves through here, in GraphQL's
// error shape on the GraphQL paths (API.md "GraphQL").
import type { Context } from "hono";
import type { AppEnv } from "../context";
import { ApiError, ConfigError, describeError, toApiError } from "../lib/errors";
import { graphqlErrorBody, graphqlMediaType, isGraphqlPath } from "../lib/graphql-errors";

function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  if (isGraphqlPath(c.req.path)) {
    // GraphQL's clients read GraphQL's error shape, whatever step refused the request.
    const body = graphqlErrorBody({
      code: error.code,
      message: error.message,
      requestId: c.get("requestId"),
      details: error.options.details,
    });
    return c.body(JSON.stringify(body), error.status, {
      ...error.options.headers,
      "Content-Type": graphqlMediaType(c.req.header("accept")),
    });
  }
  const body = {
    error: {
      code: error.code,
      message: error.message,
      request_id: c.get("requestId"),
      ...(error.options.details ? { details: error.options.details } : {}),
    },
  };
  return c.json(body, error.status, error.options.headers);
}

/** The app's onError: logs what the client is not told, answers the envelope. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  const log = c.get("logger");
  if (error instanceof ApiError) {
    // A refusal the service chose (overloaded, timeout, …): worth a line, not a stack.
    if (apiError.status >= 500) log?.warn("request refused", { code: apiError.code });
  } else if (apiError.status >= 500) {
    const cause = apiError.options.cause ?? error;
    log?.error("request failed", {
      code: apiError.code,
      ...describeError(cause),
      ...(cause instanceof ConfigError ? { invalid: cause.issues } : {}),
    });
  }
  return errorResponse(c, apiError);
}

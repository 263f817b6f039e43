// OpenAPI building blocks: the router factory, the named error component, and error responses.
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { Permission } from "../domain/permissions";
import { ApiError, type ErrorCode } from "../lib/errors";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_FAILED" }),
      message: z.string(),
      request_id: z.string().openapi({ example: "01JD3Z9T1V6Q2C8M4X5Y7B0N9K" }),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

const errorDescriptions: Record<number, { description: string; codes: ErrorCode[] }> = {
  400: { description: "Malformed or invalid request", codes: ["BAD_REQUEST", "VALIDATION_FAILED"] },
  401: { description: "Missing or invalid credentials", codes: ["UNAUTHENTICATED"] },
  403: { description: "Authenticated, but not allowed", codes: ["FORBIDDEN"] },
  404: { description: "No such resource in this tenant", codes: ["NOT_FOUND"] },
  405: { description: "Method not allowed on this path", codes: ["METHOD_NOT_ALLOWED"] },
  406: { description: "No media type the client accepts (GraphQL)", codes: ["NOT_ACCEPTABLE"] },
  409: { description: "Conflict", codes: ["CONFLICT"] },
  412: { description: "If-Match did not match", codes: ["PRECONDITION_FAILED"] },
  413: { description: "Body or payload too large", codes: ["PAYLOAD_TOO_LARGE"] },
  415: { description: "Body is not JSON", codes: ["UNSUPPORTED_MEDIA_TYPE"] },
  422: { description: "Idempotency key reused for another request", codes: ["IDEMPOTENCY_KEY_REUSED"] },
  429: { description: "Rate limit or quota exceeded", codes: ["RATE_LIMITED", "QUOTA_EXCEEDED"] },
  431: { description: "Request headers too large", codes: ["HEADERS_TOO_LARGE"] },
  500: { description: "Internal error", codes: ["INTERNAL", "BAD_ENVIRONMENT"] },
  503: {
    description: "Overloaded or a dependency is unavailable",
    codes: ["OVERLOADED", "DEPENDENCY_UNAVAILABLE"],
  },
  504: { description: "The request ran out of time", codes: ["TIMEOUT"] },
};

/**
 * Every route can answer these: they come from the shared pipeline, not from the route (400: the
 * text guard, e.g. a NUL in any query value).
 */
const PIPELINE_STATUSES = [400, 405, 431, 500, 504] as const;

type ErrorResponse = { description: string; content: { "application/json": { schema: typeof ErrorSchema } } };

/** The error responses of a route: the pipeline's plus the ones the route names. */
export function errorResponses<const S extends number[]>(
  ...statuses: S
): Record<S[number] | (typeof PIPELINE_STATUSES)[number], ErrorResponse> {
  return describedErrors(statuses, { "application/json": { schema: ErrorSchema } });
}

/** Error responses with the given content (GraphQL's error shape on the GraphQL paths). */
export function describedErrors<const S extends number[], C>(
  statuses: S,
  content: C,
): Record<S[number] | (typeof PIPELINE_STATUSES)[number], { description: string; content: C }> {
  const all = [...new Set([...statuses, ...PIPELINE_STATUSES])].sort();
  return Object.fromEntries(
    all.map((status) => {
      const known = errorDescriptions[status];
      if (!known) throw new Error(`no description for error status ${status}`);
      return [status, { description: `${known.description} (${known.codes.join(", ")})`, content }];
    }),
  ) as Record<S[number] | (typeof PIPELINE_STATUSES)[number], { description: string; content: C }>;
}

/**
 * A JSON request body. Always `required`: otherwise zod-openapi skips validation when the
 * Content-Type is missing, and an empty POST would reach the handler unvalidated.
 */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    content: { "application/json": { schema } },
    ...(description ? { description } : {}),
  };
}

/** The response header of a representation the client may revalidate (If-None-Match) or guard (If-Match). */
export const ETAG_HEADER = {
  ETag: { description: "Strong validator of this representation", schema: { type: "string" as const } },
};

/** The response headers of a created resource: its ETag and where to read it. */
export const CREATED_HEADERS = {
  ...ETAG_HEADER,
  Location: { description: "The path of the created resource", schema: { type: "string" as const } },
};

export const SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyAuth: [] }];

/**
 * A route that needs a permission: shown in the document with its security schemes, 401/403
 * responses and `x-required-permission`, which `routePermissions` reads for the admission step.
 */
export function protectedRoute<const R extends RouteConfig>(permission: Permission, route: R) {
  return createRoute({
    ...route,
    security: SECURITY,
    "x-required-permission": permission,
    description: `${route.description ? `${route.description}\n\n` : ""}Requires the \`${permission}\` permission.`,
    // Every authenticated request passes the gate: rate limit or quota (429), in-flight cap or a
    // dependency down (503).
    responses: { ...route.responses, ...errorResponses(401, 403, 429, 503) },
  });
}

/** A router whose validation failures answer 400 VALIDATION_FAILED with one detail per issue. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      throw new ApiError(400, "VALIDATION_FAILED", "The request is invalid.", {
        details: result.error.issues.map((issue) => ({
          path: issue.path.map(String).join("."),
          message: issue.message,
        })),
      });
    },
  });
}

export type AppRouter = ReturnType<typeof createRouter>;

/**
 * Method + route template → the permission it needs, read from the router's own route definitions
 * (`x-required-permission`, set by `protectedRoute`); the admission middleware checks it.
 */
export function routePermissions(router: AppRouter): ReadonlyMap<string, Permission> {
  const permissions = new Map<string, Permission>();
  for (const definition of router.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const permission = (definition.route as { "x-required-permission"?: Permission })[
      "x-required-permission"
    ];
    if (!permission) continue;
    const path = definition.route.path.replace(/\{(\w+)\}/g, ":$1");
    permissions.set(`${definition.route.method.toUpperCase()} ${path}`, permission);
  }
  return permissions;
}

export function registerSecuritySchemes(app: AppRouter) {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Access token from POST /api/v1/auth/token",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyAuth", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "xzepr_ followed by 64 hex characters",
  });
}

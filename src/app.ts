// The app factory and the whole request pipeline, in order. Tests build the same app.

import { admission, type RouteRule } from "./middleware/admission";
import { authenticate } from "./middleware/auth";
import { handleError } from "./middleware/errors";
import { idempotency } from "./middleware/idempotency";
import { bodySizeLimit, headerLimit, jsonOnly, requestBudget, textGuard } from "./middleware/limits";
import { ports } from "./middleware/ports";
import { requestContext } from "./middleware/request-context";
import { routeGuard } from "./middleware/route-guard";
import { cors, securityHeaders } from "./middleware/security";
import { auditRoutes } from "./routes/admin/audit";
import { dlqRoutes } from "./routes/admin/dlq";
import { principalRoutes } from "./routes/admin/principals";
import { tenantRoutes } from "./routes/admin/tenants";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes } from "./routes/auth";
import { registerOpenApiDocument } from "./routes/docs/openapi";
import { registerReference } from "./routes/docs/reference";
import { eventRoutes } from "./routes/events";
import { graphqlRoutes } from "./routes/graphql";
import { eventsToCreate } from "./routes/graphql/execute";
import { graphiqlServed } from "./routes/graphql/graphiql";
import { groupRoutes } from "./routes/groups";
import { healthRoutes } from "./routes/health";
import { metricsRoutes } from "./routes/metrics";
import { createRouter, registerSecuritySchemes, routePermissions } from "./routes/openapi";
import { receiverRoutes } from "./routes/receivers";
import { usageRoutes } from "./routes/usage";
import { webhookRoutes } from "./routes/webhooks";

/** The only routes reachable without credentials (API.md "Authentication"). */
const PUBLIC_ROUTES = [
  "/health/live",
  "/health/ready",
  "/openapi.json",
  "/docs",
  "/docs/:file",
  "/.well-known/jwks.json",
  "POST /api/v1/auth/token",
  // Authenticates itself: a scraper's METRICS_TOKEN, or an admin (src/routes/metrics).
  "/metrics",
];

/** Rate-limit rules of single routes (the tiers apply everywhere else); `/health/*` is never limited. */
const ROUTE_RULES: Record<string, RouteRule> = {
  "POST /api/v1/auth/token": { limit: 20, perIp: true },
  "POST /api/v1/events": { events: () => 1 },
  // GraphQL: one request counts once, whatever it asks; its create_event fields meet the quota.
  "POST /api/v1/graphql": { events: eventsToCreate },
  "POST /api/v1/graphql/query": { events: eventsToCreate },
  // Scrapers arrive without a principal: a per-IP limit of their own instead of the anonymous tier.
  "GET /metrics": { limit: 120, perIp: true },
  // The documents: a browser loading /docs asks for five files; a per-IP limit of their own.
  "GET /openapi.json": { limit: 120, perIp: true },
  "GET /docs": { limit: 120, perIp: true },
  "GET /docs/:file": { limit: 120, perIp: true },
};

/** Every operation, by resource; its type is the typed client's (`hc<Api>`, test/client.ts). */
const api = createRouter()
  .route("/", healthRoutes)
  .route("/", authRoutes)
  .route("/", apiKeyRoutes)
  .route("/", principalRoutes)
  .route("/", tenantRoutes)
  .route("/", dlqRoutes)
  .route("/", auditRoutes)
  .route("/", receiverRoutes)
  .route("/", eventRoutes)
  .route("/", groupRoutes)
  .route("/", usageRoutes)
  .route("/", metricsRoutes)
  .route("/", webhookRoutes)
  .route("/", graphqlRoutes);

export type Api = typeof api;

export function createApp() {
  const app = createRouter();

  app.onError(handleError);

  // request → request id, trace, config, logger, access log, after-response work → security
  // headers → CORS (preflight answered here, without auth) → header limit (431) → route guard
  // (404, 405) → body media type (415) → body size (413) → request budget (504) → ports (database
  // over HTTP, gates, publisher) → credentials, checked in the isolate (401) → admission, ONE
  // TenantGate call: status (401), permission and deny lists (403), rate limit and quota (429),
  // in-flight cap (503) → text guard: NUL in a query, body not UTF-8, JSON too deep or that parsing
  // would alter (400) → Idempotency-Key on POST, one round trip (replay, 409, 422) → route:
  // validation (400), handler, one database round trip → response → after-response work
  // (src/middleware/after-response.ts)
  app.use(requestContext());
  app.use(securityHeaders());
  app.use(cors());
  app.use(headerLimit());
  app.use(routeGuard(app));
  app.use(jsonOnly());
  app.use(bodySizeLimit());
  app.use(requestBudget());
  app.use(ports());
  // GraphiQL's page (outside production) is served without credentials; its queries need them.
  app.use(authenticate({ public: PUBLIC_ROUTES, publicWhen: graphiqlServed }));
  app.use(
    admission({
      rules: ROUTE_RULES,
      exempt: (route) => route.startsWith("/health/"),
      permissions: routePermissions(api),
    }),
  );
  app.use(textGuard());
  app.use(idempotency());

  app.route("/", api);
  registerSecuritySchemes(app);
  registerOpenApiDocument(app);
  registerReference(app);

  return app;
}

export type App = ReturnType<typeof createApp>;

// The app factory and the whole request pipeline, in order. Tests build the same app.
import { handleError } from "./lib/errors";
import { createRouter } from "./lib/openapi";
import { bodySizeLimit, headerLimit, jsonOnly, requestBudget } from "./middleware/limits";
import { requestContext } from "./middleware/request-context";
import { routeGuard } from "./middleware/route-guard";
import { cors, securityHeaders } from "./middleware/security";
import { registerOpenApiDocument } from "./routes/docs/openapi";
import { registerReference } from "./routes/docs/reference";
import { healthRoutes } from "./routes/health";

export function createApp() {
  const app = createRouter();

  app.onError(handleError);

  // request → request id, trace, config, logger, access log → security headers → CORS (preflight
  // answered here, without auth) → header limit (431) → route guard (404, 405) → body media type
  // (415) → body size (413) → request budget (504) → route
  app.use(requestContext());
  app.use(securityHeaders());
  app.use(cors());
  app.use(headerLimit());
  app.use(routeGuard(app));
  app.use(jsonOnly());
  app.use(bodySizeLimit());
  app.use(requestBudget());

  app.route("/", healthRoutes);
  registerOpenApiDocument(app);
  registerReference(app);

  return app;
}

export type App = ReturnType<typeof createApp>;

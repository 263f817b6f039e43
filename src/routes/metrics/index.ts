import { createRouter } from "../openapi";
import { getMetricsEndpoint } from "./get-metrics";

export const metricsRoutes = createRouter().route("/", getMetricsEndpoint);

import { createRouter } from "../openapi";
import { registerGetMetrics } from "./get-metrics";

export const metricsRoutes = createRouter();
registerGetMetrics(metricsRoutes);

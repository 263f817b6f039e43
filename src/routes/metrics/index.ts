import { createRouter } from "../../lib/openapi";
import { registerGetMetrics } from "./get-metrics";

export const metricsRoutes = createRouter();
registerGetMetrics(metricsRoutes);

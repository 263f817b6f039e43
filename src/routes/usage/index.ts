import { createRouter } from "../openapi";
import { getUsageEndpoint } from "./get-usage";

export const usageRoutes = createRouter().route("/", getUsageEndpoint);

import { createRouter } from "../openapi";
import { registerGetUsage } from "./get-usage";

export const usageRoutes = createRouter();
registerGetUsage(usageRoutes);

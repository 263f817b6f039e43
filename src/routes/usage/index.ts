import { createRouter } from "../../lib/openapi";
import { registerGetUsage } from "./get-usage";

export const usageRoutes = createRouter();
registerGetUsage(usageRoutes);

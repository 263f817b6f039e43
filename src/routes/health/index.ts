import { createRouter } from "../openapi";
import { registerLive } from "./live";
import { registerReady } from "./ready";

export const healthRoutes = createRouter();
registerLive(healthRoutes);
registerReady(healthRoutes);

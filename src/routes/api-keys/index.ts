import { createRouter } from "../openapi";
import { registerCreateApiKey } from "./create-api-key";
import { registerDeleteApiKey } from "./delete-api-key";
import { registerGetApiKey } from "./get-api-key";
import { registerListApiKeys } from "./list-api-keys";

export const apiKeyRoutes = createRouter();
registerCreateApiKey(apiKeyRoutes);
registerListApiKeys(apiKeyRoutes);
registerGetApiKey(apiKeyRoutes);
registerDeleteApiKey(apiKeyRoutes);

import { createRouter } from "../openapi";
import { createApiKeyEndpoint } from "./create-api-key";
import { deleteApiKeyEndpoint } from "./delete-api-key";
import { getApiKeyEndpoint } from "./get-api-key";
import { listApiKeysEndpoint } from "./list-api-keys";

export const apiKeyRoutes = createRouter()
  .route("/", createApiKeyEndpoint)
  .route("/", listApiKeysEndpoint)
  .route("/", getApiKeyEndpoint)
  .route("/", deleteApiKeyEndpoint);

import { createRouter } from "../openapi";
import { createWebhookEndpoint } from "./create-webhook";
import { deleteWebhookEndpoint } from "./delete-webhook";
import { getWebhookEndpoint } from "./get-webhook";
import { listDeliveriesEndpoint } from "./list-deliveries";
import { listWebhooksEndpoint } from "./list-webhooks";
import { rotateSecretEndpoint } from "./rotate-secret";
import { testWebhookEndpoint } from "./test-webhook";
import { updateWebhookEndpoint } from "./update-webhook";

export const webhookRoutes = createRouter()
  .route("/", createWebhookEndpoint)
  .route("/", listWebhooksEndpoint)
  .route("/", getWebhookEndpoint)
  .route("/", updateWebhookEndpoint)
  .route("/", deleteWebhookEndpoint)
  .route("/", rotateSecretEndpoint)
  .route("/", listDeliveriesEndpoint)
  .route("/", testWebhookEndpoint);

import { createRouter } from "../openapi";
import { createReceiverEndpoint } from "./create-receiver";
import { deleteReceiverEndpoint } from "./delete-receiver";
import { getReceiverEndpoint } from "./get-receiver";
import { listReceiversEndpoint } from "./list-receivers";
import { updateReceiverEndpoint } from "./update-receiver";

export const receiverRoutes = createRouter()
  .route("/", createReceiverEndpoint)
  .route("/", listReceiversEndpoint)
  .route("/", getReceiverEndpoint)
  .route("/", updateReceiverEndpoint)
  .route("/", deleteReceiverEndpoint);

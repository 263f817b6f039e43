import { createRouter } from "../openapi";
import { createEventEndpoint } from "./create-event";
import { getEventEndpoint } from "./get-event";
import { listEventsEndpoint } from "./list-events";

export const eventRoutes = createRouter()
  .route("/", createEventEndpoint)
  .route("/", getEventEndpoint)
  .route("/", listEventsEndpoint);

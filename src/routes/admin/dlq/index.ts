import { createRouter } from "../../openapi";
import { discardDeadLetterEndpoint } from "./discard-dead-letter";
import { listDeadLettersEndpoint } from "./list-dead-letters";
import { retryAllDeadLettersEndpoint } from "./retry-all-dead-letters";
import { retryDeadLetterEndpoint } from "./retry-dead-letter";

export const dlqRoutes = createRouter()
  .route("/", listDeadLettersEndpoint)
  .route("/", retryAllDeadLettersEndpoint)
  .route("/", retryDeadLetterEndpoint)
  .route("/", discardDeadLetterEndpoint);

import { createRouter } from "../../openapi";
import { registerDiscardDeadLetter } from "./discard-dead-letter";
import { registerListDeadLetters } from "./list-dead-letters";
import { registerRetryAllDeadLetters } from "./retry-all-dead-letters";
import { registerRetryDeadLetter } from "./retry-dead-letter";

export const dlqRoutes = createRouter();
registerListDeadLetters(dlqRoutes);
registerRetryAllDeadLetters(dlqRoutes);
registerRetryDeadLetter(dlqRoutes);
registerDiscardDeadLetter(dlqRoutes);

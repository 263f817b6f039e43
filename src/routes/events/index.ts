import { createRouter } from "../openapi";
import { registerCreateEvent } from "./create-event";
import { registerGetEvent } from "./get-event";
import { registerListEvents } from "./list-events";

export const eventRoutes = createRouter();
registerCreateEvent(eventRoutes);
registerGetEvent(eventRoutes);
registerListEvents(eventRoutes);

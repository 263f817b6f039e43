import { createRouter } from "../openapi";
import { registerCreateReceiver } from "./create-receiver";
import { registerDeleteReceiver } from "./delete-receiver";
import { registerGetReceiver } from "./get-receiver";
import { registerListReceivers } from "./list-receivers";
import { registerUpdateReceiver } from "./update-receiver";

export const receiverRoutes = createRouter();
registerCreateReceiver(receiverRoutes);
registerListReceivers(receiverRoutes);
registerGetReceiver(receiverRoutes);
registerUpdateReceiver(receiverRoutes);
registerDeleteReceiver(receiverRoutes);

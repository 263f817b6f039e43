import { createRouter } from "../openapi";
import { createGroupEndpoint } from "./create-group";
import { deleteGroupEndpoint } from "./delete-group";
import { getGroupEndpoint } from "./get-group";
import { listCompletionsEndpoint } from "./list-completions";
import { listGroupsEndpoint } from "./list-groups";
import { replaceMembersEndpoint } from "./replace-members";
import { updateGroupEndpoint } from "./update-group";

export const groupRoutes = createRouter()
  .route("/", createGroupEndpoint)
  .route("/", listGroupsEndpoint)
  .route("/", getGroupEndpoint)
  .route("/", updateGroupEndpoint)
  .route("/", deleteGroupEndpoint)
  .route("/", replaceMembersEndpoint)
  .route("/", listCompletionsEndpoint);

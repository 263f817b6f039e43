import { createRouter } from "../openapi";
import { registerCreateGroup } from "./create-group";
import { registerDeleteGroup } from "./delete-group";
import { registerGetGroup } from "./get-group";
import { registerListCompletions } from "./list-completions";
import { registerListGroups } from "./list-groups";
import { registerReplaceMembers } from "./replace-members";
import { registerUpdateGroup } from "./update-group";

export const groupRoutes = createRouter();
registerCreateGroup(groupRoutes);
registerListGroups(groupRoutes);
registerGetGroup(groupRoutes);
registerUpdateGroup(groupRoutes);
registerDeleteGroup(groupRoutes);
registerReplaceMembers(groupRoutes);
registerListCompletions(groupRoutes);

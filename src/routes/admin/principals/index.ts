import { createRouter } from "../../openapi";
import { registerCreatePrincipal } from "./create-principal";
import { registerDeletePrincipal } from "./delete-principal";
import { registerListPrincipals } from "./list-principals";
import { registerUpdatePrincipal } from "./update-principal";

export const principalRoutes = createRouter();
registerCreatePrincipal(principalRoutes);
registerListPrincipals(principalRoutes);
registerUpdatePrincipal(principalRoutes);
registerDeletePrincipal(principalRoutes);

import { createRouter } from "../../openapi";
import { createPrincipalEndpoint } from "./create-principal";
import { deletePrincipalEndpoint } from "./delete-principal";
import { listPrincipalsEndpoint } from "./list-principals";
import { updatePrincipalEndpoint } from "./update-principal";

export const principalRoutes = createRouter()
  .route("/", createPrincipalEndpoint)
  .route("/", listPrincipalsEndpoint)
  .route("/", updatePrincipalEndpoint)
  .route("/", deletePrincipalEndpoint);

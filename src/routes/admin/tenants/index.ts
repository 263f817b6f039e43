import { createRouter } from "../../openapi";
import { createTenantEndpoint } from "./create-tenant";
import { listTenantsEndpoint } from "./list-tenants";
import { updateTenantEndpoint } from "./update-tenant";

export const tenantRoutes = createRouter()
  .route("/", createTenantEndpoint)
  .route("/", listTenantsEndpoint)
  .route("/", updateTenantEndpoint);

import { createRouter } from "../../openapi";
import { registerCreateTenant } from "./create-tenant";
import { registerListTenants } from "./list-tenants";
import { registerUpdateTenant } from "./update-tenant";

export const tenantRoutes = createRouter();
registerCreateTenant(tenantRoutes);
registerListTenants(tenantRoutes);
registerUpdateTenant(tenantRoutes);

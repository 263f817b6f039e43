import { createRouter } from "../../../lib/openapi";
import { registerListAudit } from "./list-audit";

export const auditRoutes = createRouter();
registerListAudit(auditRoutes);

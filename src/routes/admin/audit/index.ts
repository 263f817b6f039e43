import { createRouter } from "../../openapi";
import { registerListAudit } from "./list-audit";

export const auditRoutes = createRouter();
registerListAudit(auditRoutes);

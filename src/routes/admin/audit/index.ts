import { createRouter } from "../../openapi";
import { listAuditEndpoint } from "./list-audit";

export const auditRoutes = createRouter().route("/", listAuditEndpoint);

import { z } from "@hono/zod-openapi";
import { auditView, listAudit } from "../../../domain/audit";
import { listSchema, PageQuery } from "../../../lib/pagination";
import { afterCursor, listPage, serviceContext } from "../../http";
import { createRouter, errorResponses, protectedRoute } from "../../openapi";

const AuditEntrySchema = z
  .object({
    id: z.string(),
    actor: z.object({ type: z.enum(["principal", "api_key", "system"]), id: z.string() }),
    action: z.string().openapi({ example: "receiver.create" }),
    resource_type: z.string(),
    resource_id: z.string().nullable(),
    outcome: z.enum(["success", "denied", "failure"]),
    request_id: z.string().nullable(),
    ip: z.string().nullable().openapi({ description: "Truncated: IPv4 /24, IPv6 /48." }),
    user_agent: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("AuditEntry");

const AuditQuery = PageQuery.extend({
  actor: z.string().max(128).optional().openapi({ description: "Principal or API key id" }),
  action: z.string().max(64).optional(),
  resource_type: z.string().max(64).optional(),
  resource_id: z.string().max(128).optional(),
  outcome: z.enum(["success", "denied", "failure"]).optional(),
  since: z.iso.datetime({ offset: true }).optional().openapi({ description: "Inclusive, RFC 3339" }),
  until: z.iso.datetime({ offset: true }).optional().openapi({ description: "Inclusive, RFC 3339" }),
});

const route = protectedRoute("audit:read", {
  method: "get",
  operationId: "listAudit",
  path: "/api/v1/admin/audit",
  tags: ["Audit"],
  summary: "The tenant's audit log, newest first (read-only: no route changes or deletes entries)",
  request: { query: AuditQuery },
  responses: {
    200: {
      description: "A page of audit entries",
      content: { "application/json": { schema: listSchema(AuditEntrySchema) } },
    },
    ...errorResponses(400, 429),
  },
});

export const listAuditEndpoint = createRouter().openapi(route, async (c) => {
  const { page_size, cursor, since, until, ...filter } = c.req.valid("query");
  const after = await afterCursor(c, cursor);
  const rows = await listAudit(
    serviceContext(c),
    { ...filter, since: since ? new Date(since) : undefined, until: until ? new Date(until) : undefined },
    { limit: page_size + 1, after },
  );
  return c.json(await listPage(c, rows.map(auditView), page_size), 200);
});

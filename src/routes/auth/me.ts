import { createRoute, z } from "@hono/zod-openapi";
import { describeCaller } from "../../domain/principals";
import { createRouter, errorResponses, SECURITY } from "../openapi";

const Me = z
  .object({
    principal: z.object({ id: z.string(), name: z.string(), roles: z.array(z.string()) }),
    tenant: z.object({ id: z.string(), slug: z.string() }),
    permissions: z.array(z.string()),
    auth: z.enum(["jwt", "api_key"]),
  })
  .openapi("Me");

const route = createRoute({
  method: "get",
  operationId: "me",
  path: "/api/v1/auth/me",
  tags: ["Auth"],
  summary: "The caller: principal, tenant, permissions and how it authenticated",
  security: SECURITY,
  responses: {
    200: { description: "The caller", content: { "application/json": { schema: z.object({ data: Me }) } } },
    ...errorResponses(401, 429, 503),
  },
});

export const meEndpoint = createRouter().openapi(route, async (c) =>
  c.json({ data: await describeCaller(c.get("db"), c.get("principal")) }, 200),
);

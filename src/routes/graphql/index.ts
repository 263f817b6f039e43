import { createRouter } from "../openapi";
import { routes, serve, serveGet } from "./execute";

// Handlers return graphql-http's responses as they are: the route types describe them for the
// document (and test/contract.ts checks them), not for the typed client.
export const graphqlRoutes = createRouter()
  .openapi(routes.graphql.post, (c) => serve(c, c.req.valid("json")) as never)
  .openapi(routes.graphql.get, (c) => serveGet(c) as never)
  .openapi(routes.query.post, (c) => serve(c, c.req.valid("json")) as never)
  .openapi(routes.query.get, (c) => serveGet(c) as never);

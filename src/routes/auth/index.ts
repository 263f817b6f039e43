import { createRouter } from "../openapi";
import { jwksEndpoint } from "./jwks";
import { meEndpoint } from "./me";
import { revokeEndpoint } from "./revoke";
import { tokenEndpoint } from "./token";

export const authRoutes = createRouter()
  .route("/", tokenEndpoint)
  .route("/", revokeEndpoint)
  .route("/", meEndpoint)
  .route("/", jwksEndpoint);

import { createRouter } from "../openapi";
import { registerJwks } from "./jwks";
import { registerMe } from "./me";
import { registerRevoke } from "./revoke";
import { registerToken } from "./token";

export const authRoutes = createRouter();
registerToken(authRoutes);
registerRevoke(authRoutes);
registerMe(authRoutes);
registerJwks(authRoutes);

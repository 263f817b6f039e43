import { createRouter } from "../openapi";
import { liveEndpoint } from "./live";
import { readyEndpoint } from "./ready";

export const healthRoutes = createRouter().route("/", liveEndpoint).route("/", readyEndpoint);

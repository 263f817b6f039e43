import { createRoute, z } from "@hono/zod-openapi";
import { AuthFailure } from "../../domain/auth";
import { exchangeApiKey, rotateRefreshToken } from "../../domain/tokens";
import { authDeps, refuse } from "../../middleware/auth";
import { requestMeta } from "../../middleware/request-context";
import { createRouter, errorResponses, jsonBody } from "../openapi";

const TokenRequest = z
  .discriminatedUnion("grant_type", [
    z.strictObject({ grant_type: z.literal("api_key"), api_key: z.string().min(1).max(200) }),
    z.strictObject({ grant_type: z.literal("refresh_token"), refresh_token: z.string().min(1).max(200) }),
  ])
  .openapi("TokenRequest");

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int().openapi({ example: 900 }),
    refresh_token: z.string(),
  })
  .openapi("TokenResponse");

const route = createRoute({
  method: "post",
  operationId: "token",
  // Public: no credentials (API.md "Authentication").
  security: [],
  path: "/api/v1/auth/token",
  tags: ["Auth"],
  summary: "Exchange an API key or a refresh token for an access token and a new refresh token",
  description:
    "Answers the bare OAuth 2.0 token response (RFC 6749 §5.1). Refresh tokens work once: a reused one revokes its whole family.",
  request: { body: jsonBody(TokenRequest) },
  responses: {
    200: { description: "Tokens", content: { "application/json": { schema: TokenResponse } } },
    ...errorResponses(400, 401, 413, 415, 429, 503),
  },
});

export const tokenEndpoint = createRouter().openapi(route, async (c) => {
  const body = c.req.valid("json");
  const deps = authDeps(c);
  try {
    const { principal, tokens } =
      body.grant_type === "api_key"
        ? await exchangeApiKey(deps, requestMeta(c), body.api_key)
        : await rotateRefreshToken(deps, requestMeta(c), body.refresh_token);
    c.set("tenantId", principal.tenantId);
    c.set("principalId", principal.id);
    return c.json(tokens, 200, { "Cache-Control": "no-store", Pragma: "no-cache" });
  } catch (error) {
    if (error instanceof AuthFailure) throw refuse(c, error);
    throw error;
  }
});

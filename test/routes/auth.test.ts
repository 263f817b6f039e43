// The auth routes (src/routes/auth/): token (exchange, refresh rotation with reuse detection),
// revoke, me, and the JWKS with key rotation (API.md "Authentication").
import { env } from "cloudflare:test";
import { exportJWK, generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { api, apiOf, expectStatus } from "../client";
import { bearer, createTenant, exchange, json, me, type TenantFixture, tokensOf } from "../fixtures";
import { call, expectError } from "../helpers";

let tenant: TenantFixture;
beforeAll(async () => {
  tenant = await createTenant();
});

describe("token: POST /api/v1/auth/token", () => {
  it("exchanges an API key for the bare OAuth 2.0 token response", async () => {
    const { response, tokens } = await exchange({ grant_type: "api_key", api_key: tenant.apiKey.key });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(tokens).toEqual({
      access_token: expect.stringMatching(/^ey/),
      refresh_token: expect.stringMatching(/^xzepr_rt_[0-9a-f]{64}$/),
      token_type: "Bearer",
      expires_in: 900,
    });
    const whoami = await me(bearer(tokens?.access_token ?? ""));
    expect(whoami.status).toBe(200);
    expect(await whoami.json()).toEqual({
      data: {
        principal: { id: tenant.apiKey.id, name: "fixture admin key", roles: ["admin"] },
        tenant: { id: tenant.id, slug: tenant.slug },
        permissions: expect.arrayContaining(["events:write", "api_keys:admin"]),
        auth: "jwt",
      },
    });
  });

  it("refuses an unknown API key with 401 and invalid_token", async () => {
    const { response } = await exchange({ grant_type: "api_key", api_key: `xzepr_${"0".repeat(64)}` });
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="xzepr", error="invalid_token"');
    await expectError(response, 401, "UNAUTHENTICATED");
  });

  it("answers 400 for an unknown grant type or extra fields", async () => {
    await expectError(
      (await exchange({ grant_type: "password", username: "x" })).response,
      400,
      "VALIDATION_FAILED",
    );
    const extra = await call(
      "/api/v1/auth/token",
      json({ grant_type: "api_key", api_key: "x", scope: "all" }),
    );
    await expectError(extra, 400, "VALIDATION_FAILED");
  });

  it("rotates refresh tokens, and a reused one revokes its whole family", async () => {
    const first = await tokensOf({ grant_type: "api_key", api_key: tenant.apiKey.key });
    const second = await tokensOf({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await me(bearer(second.access_token))).status).toBe(200);

    // The first refresh token again: theft detected.
    const reuse = await exchange({ grant_type: "refresh_token", refresh_token: first.refresh_token });
    await expectError(reuse.response, 401, "UNAUTHENTICATED");
    // Its newer refresh token and the access tokens of the family are refused from now on.
    await expectError(
      (await exchange({ grant_type: "refresh_token", refresh_token: second.refresh_token })).response,
      401,
      "UNAUTHENTICATED",
    );
    await expectError(await me(bearer(second.access_token)), 401, "UNAUTHENTICATED");
    await expectError(await me(bearer(first.access_token)), 401, "UNAUTHENTICATED");
    // Other families are unaffected.
    const other = await tokensOf({ grant_type: "api_key", api_key: tenant.apiKey.key });
    expect((await me(bearer(other.access_token))).status).toBe(200);
  });

  it("lets only one of two concurrent uses of a refresh token win", async () => {
    const first = await tokensOf({ grant_type: "api_key", api_key: tenant.apiKey.key });
    const results = await Promise.all(
      [1, 2].map(() => exchange({ grant_type: "refresh_token", refresh_token: first.refresh_token })),
    );
    expect(results.map((result) => result.response.status).sort()).toEqual([200, 401]);
  });
});

describe("revoke: POST /api/v1/auth/revoke", () => {
  it("revokes an access token at once, until it expires", async () => {
    const { tokens } = await exchange({ grant_type: "api_key", api_key: tenant.apiKey.key });
    const access = tokens?.access_token ?? "";
    const revoke = await call("/api/v1/auth/revoke", json({ token: access }, bearer(access)));
    expect(revoke.status).toBe(204);
    await expectError(await me(bearer(access)), 401, "UNAUTHENTICATED");
  });

  it("revokes a refresh token's family", async () => {
    const { tokens } = await exchange({ grant_type: "api_key", api_key: tenant.apiKey.key });
    const revoke = await call(
      "/api/v1/auth/revoke",
      json({ token: tokens?.refresh_token }, tenant.admin.headers),
    );
    expect(revoke.status).toBe(204);
    await expectError(
      (await exchange({ grant_type: "refresh_token", refresh_token: tokens?.refresh_token ?? "" })).response,
      401,
      "UNAUTHENTICATED",
    );
    await expectError(await me(bearer(tokens?.access_token ?? "")), 401, "UNAUTHENTICATED");
  });

  it("answers 204 for unknown tokens and leaves other tenants' tokens alone (RFC 7009)", async () => {
    const other = await createTenant();
    expect(
      (await call("/api/v1/auth/revoke", json({ token: "not-a-token" }, tenant.admin.headers))).status,
    ).toBe(204);
    expect(
      (await call("/api/v1/auth/revoke", json({ token: other.reader.token }, tenant.admin.headers))).status,
    ).toBe(204);
    expect((await me(other.reader.headers)).status).toBe(200);
  });
});

describe("me: GET /api/v1/auth/me", () => {
  it("describes an API key caller", async () => {
    const body = await expectStatus(await me(tenant.apiKey.headers), 200);
    expect(body.data).toMatchObject({ auth: "api_key", principal: { id: tenant.apiKey.id } });
  });

  it("lists exactly the reader's permissions", async () => {
    const body = await expectStatus(await me(tenant.reader.headers), 200);
    expect(body.data.permissions).toEqual(["events:read", "receivers:read", "groups:read", "usage:read"]);
  });

  it("refuses both credentials at once", async () => {
    await expectError(
      await me({ ...tenant.reader.headers, ...tenant.apiKey.headers }),
      401,
      "UNAUTHENTICATED",
    );
  });
});

describe("jwks: GET /.well-known/jwks.json, and key rotation", () => {
  it("publishes the current public key and no private part", async () => {
    const { keys } = await expectStatus(await api()[".well-known"]["jwks.json"].$get(), 200);
    const current = JSON.parse(env.JWT_SIGNING_KEY as string) as { kid: string };
    expect(keys.map((key) => key.kid)).toEqual([current.kid]);
    expect(keys[0]).not.toHaveProperty("d");
  });

  it("keeps accepting tokens of the previous key after a rotation, and publishes both", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
    const next = JSON.stringify({ ...(await exportJWK(privateKey)), kid: "next-key", alg: "EdDSA" });
    const previous = JSON.parse(env.JWT_SIGNING_KEY as string) as Record<string, unknown>;
    const { d: _private, ...previousPublic } = previous;
    const rotated = { JWT_SIGNING_KEY: next, JWT_PREVIOUS_KEYS: JSON.stringify([previousPublic]) };
    const app = createApp();

    const oldToken = tenant.reader.headers;
    const client = apiOf(app, rotated);
    expect((await client.api.v1.auth.me.$get(undefined, { headers: oldToken })).status).toBe(200);
    const jwks = await expectStatus(await client[".well-known"]["jwks.json"].$get(), 200);
    expect(jwks.keys.map((key) => key.kid)).toEqual(["next-key", previous.kid]);

    const issued = await client.api.v1.auth.token.$post({
      json: { grant_type: "api_key", api_key: tenant.apiKey.key },
    });
    const { access_token } = await expectStatus(issued, 200);
    expect(JSON.parse(atob(access_token.split(".")[0] ?? "")).kid).toBe("next-key");
    expect((await client.api.v1.auth.me.$get(undefined, { headers: bearer(access_token) })).status).toBe(200);
    // Without the rotation, the new key's tokens are unknown.
    await expectError(await me(bearer(access_token)), 401, "UNAUTHENTICATED");
  });
});

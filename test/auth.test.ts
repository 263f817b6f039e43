// Authentication flows (API.md "Authentication"): token exchange, refresh rotation with reuse
// detection, revocation, API keys, principals, tenants, JWKS and key rotation.
import { env } from "cloudflare:test";
import { exportJWK, generateKeyPair } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { createTenant, json, type TenantFixture } from "./fixtures";
import { call, callApp, expectError } from "./helpers";

interface Tokens {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function exchange(body: Record<string, string>) {
  const response = await call("/api/v1/auth/token", json(body));
  return { response, tokens: response.ok ? ((await response.json()) as Tokens) : undefined };
}

async function me(headers: Record<string, string>) {
  return call("/api/v1/auth/me", { headers });
}

let tenant: TenantFixture;
beforeAll(async () => {
  tenant = await createTenant();
});

describe("POST /api/v1/auth/token", () => {
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
    const first = (await exchange({ grant_type: "api_key", api_key: tenant.apiKey.key })).tokens as Tokens;
    const second = (await exchange({ grant_type: "refresh_token", refresh_token: first.refresh_token }))
      .tokens as Tokens;
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
    const other = (await exchange({ grant_type: "api_key", api_key: tenant.apiKey.key })).tokens as Tokens;
    expect((await me(bearer(other.access_token))).status).toBe(200);
  });

  it("lets only one of two concurrent uses of a refresh token win", async () => {
    const first = (await exchange({ grant_type: "api_key", api_key: tenant.apiKey.key })).tokens as Tokens;
    const results = await Promise.all(
      [1, 2].map(() => exchange({ grant_type: "refresh_token", refresh_token: first.refresh_token })),
    );
    expect(results.map((result) => result.response.status).sort()).toEqual([200, 401]);
  });
});

describe("POST /api/v1/auth/revoke", () => {
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

describe("GET /api/v1/auth/me", () => {
  it("describes an API key caller", async () => {
    const body = (await (await me(tenant.apiKey.headers)).json()) as {
      data: { auth: string; principal: { id: string } };
    };
    expect(body.data).toMatchObject({ auth: "api_key", principal: { id: tenant.apiKey.id } });
  });

  it("lists exactly the reader's permissions", async () => {
    const body = (await (await me(tenant.reader.headers)).json()) as { data: { permissions: string[] } };
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

describe("API keys", () => {
  it("shows the secret once, lists by prefix, and revokes at once", async () => {
    const created = await call(
      "/api/v1/api-keys",
      json({ name: "ci", roles: ["writer"] }, tenant.admin.headers),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get("etag")).toMatch(/^"[0-9a-f]{32}"$/);
    const { data } = (await created.json()) as {
      data: { id: string; key: string; prefix: string; roles: string[] };
    };
    expect(data.key).toMatch(/^xzepr_[0-9a-f]{64}$/);
    expect(data.key.startsWith(data.prefix)).toBe(true);
    expect(data.roles).toEqual(["writer"]);

    const fetched = await call(`/api/v1/api-keys/${data.id}`, { headers: tenant.admin.headers });
    const fetchedBody = (await fetched.json()) as { data: Record<string, unknown> };
    expect(fetchedBody.data.key).toBeUndefined();
    expect(fetchedBody.data.prefix).toBe(data.prefix);
    const again = await call(`/api/v1/api-keys/${data.id}`, {
      headers: { ...tenant.admin.headers, "if-none-match": fetched.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);

    const token = (await exchange({ grant_type: "api_key", api_key: data.key })).tokens as Tokens;
    expect((await me({ "x-api-key": data.key })).status).toBe(200);
    expect(
      (await call(`/api/v1/api-keys/${data.id}`, { method: "DELETE", headers: tenant.admin.headers })).status,
    ).toBe(204);
    await expectError(await me({ "x-api-key": data.key }), 401, "UNAUTHENTICATED");
    await expectError(await me(bearer(token.access_token)), 401, "UNAUTHENTICATED");
    await expectError(
      await call(`/api/v1/api-keys/${data.id}`, { headers: tenant.admin.headers }),
      404,
      "NOT_FOUND",
    );
  });

  it("refuses an expired key", async () => {
    const soon = new Date(Date.now() + 1_500).toISOString();
    const created = await call(
      "/api/v1/api-keys",
      json({ name: "short", roles: ["reader"], expires_at: soon }, tenant.admin.headers),
    );
    const { data } = (await created.json()) as { data: { key: string } };
    expect((await me({ "x-api-key": data.key })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await expectError(await me({ "x-api-key": data.key }), 401, "UNAUTHENTICATED");
  });

  it("refuses a past expiry and an unknown role", async () => {
    const past = json(
      { name: "x", roles: ["reader"], expires_at: "2020-01-01T00:00:00Z" },
      tenant.admin.headers,
    );
    await expectError(await call("/api/v1/api-keys", past), 400, "VALIDATION_FAILED");
    const role = json({ name: "x", roles: ["platform_admin"] }, tenant.admin.headers);
    await expectError(await call("/api/v1/api-keys", role), 400, "VALIDATION_FAILED");
  });

  it("pages with signed cursors; an altered cursor is a 400", async () => {
    const own = await createTenant();
    for (let index = 0; index < 4; index++) {
      await call("/api/v1/api-keys", json({ name: `k${index}`, roles: ["reader"] }, own.admin.headers));
    }
    const seen: string[] = [];
    let next: string | null = "/api/v1/api-keys?page_size=2";
    while (next) {
      const page = (await (await call(next, { headers: own.admin.headers })).json()) as {
        data: { id: string }[];
        links: { next: string | null };
        page: { next_cursor: string | null };
      };
      seen.push(...page.data.map((key) => key.id));
      next = page.links.next;
      if (page.page.next_cursor) {
        const tampered = `${page.page.next_cursor.slice(0, -2)}xx`;
        const bad = await call(`/api/v1/api-keys?cursor=${tampered}`, { headers: own.admin.headers });
        await expectError(bad, 400, "BAD_REQUEST");
      }
    }
    expect(seen).toHaveLength(5);
    expect([...seen].sort().reverse()).toEqual(seen);
  });
});

describe("principals", () => {
  it("creates, refuses a duplicate, updates with If-Match, disables at once and deletes", async () => {
    const created = await call(
      "/api/v1/admin/principals",
      json({ name: "alice", roles: ["writer"] }, tenant.admin.headers),
    );
    expect(created.status).toBe(201);
    const { data } = (await created.json()) as { data: { id: string } };
    const etag = created.headers.get("etag") ?? "";
    await expectError(
      await call(
        "/api/v1/admin/principals",
        json({ name: "alice", roles: ["reader"] }, tenant.admin.headers),
      ),
      409,
      "CONFLICT",
    );

    const { tokenFor } = await import("./fixtures");
    const token = await tokenFor(tenant.id, data.id, ["writer"]);
    expect((await me(bearer(token))).status).toBe(200);

    const patch = (body: unknown, ifMatch: string) =>
      call(`/api/v1/admin/principals/${data.id}`, {
        method: "PATCH",
        headers: { ...tenant.admin.headers, "content-type": "application/json", "if-match": ifMatch },
        body: JSON.stringify(body),
      });
    await expectError(await patch({ enabled: false }, '"stale"'), 412, "PRECONDITION_FAILED");
    const disabled = await patch({ enabled: false }, etag);
    expect(disabled.status).toBe(200);
    await expectError(await me(bearer(token)), 401, "UNAUTHENTICATED");
    expect((await patch({ enabled: true }, "*")).status).toBe(200);
    expect((await me(bearer(token))).status).toBe(200);

    expect(
      (await call(`/api/v1/admin/principals/${data.id}`, { method: "DELETE", headers: tenant.admin.headers }))
        .status,
    ).toBe(204);
    await expectError(await me(bearer(token)), 401, "UNAUTHENTICATED");
  });
});

describe("tenants (platform admin)", () => {
  it("creates a tenant, refuses a duplicate slug, and disables a tenant at once", async () => {
    const platform = await createTenant();
    const operator = await platform.actor("platform_admin");
    const slug = `acme-${Date.now()}`;
    const created = await call("/api/v1/admin/tenants", json({ slug, name: "Acme" }, operator.headers));
    expect(created.status).toBe(201);
    expect(((await created.json()) as { data: { slug: string; enabled: boolean } }).data).toMatchObject({
      slug,
      enabled: true,
    });
    await expectError(
      await call("/api/v1/admin/tenants", json({ slug, name: "Again" }, operator.headers)),
      409,
      "CONFLICT",
    );
    await expectError(
      await call("/api/v1/admin/tenants", json({ slug, name: "x" }, tenant.admin.headers)),
      403,
      "FORBIDDEN",
    );

    const victim = await createTenant();
    expect((await me(victim.writer.headers)).status).toBe(200);
    const disable = await call(`/api/v1/admin/tenants/${victim.id}`, {
      method: "PATCH",
      headers: { ...operator.headers, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false, settings: { event_quota_per_month: 1000 } }),
    });
    expect(disable.status).toBe(200);
    await expectError(await me(victim.writer.headers), 401, "UNAUTHENTICATED");
    await expectError(await me(victim.apiKey.headers), 401, "UNAUTHENTICATED");
  });
});

describe("JWKS and key rotation", () => {
  it("publishes the current public key and no private part", async () => {
    const response = await call("/.well-known/jwks.json");
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    const current = JSON.parse(env.JWT_SIGNING_KEY as string) as { kid: string };
    expect(keys.map((key) => key.kid)).toEqual([current.kid]);
    expect(keys[0]?.d).toBeUndefined();
  });

  it("keeps accepting tokens of the previous key after a rotation, and publishes both", async () => {
    const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
    const next = JSON.stringify({ ...(await exportJWK(privateKey)), kid: "next-key", alg: "EdDSA" });
    const previous = JSON.parse(env.JWT_SIGNING_KEY as string) as Record<string, unknown>;
    const { d: _private, ...previousPublic } = previous;
    const rotated = { JWT_SIGNING_KEY: next, JWT_PREVIOUS_KEYS: JSON.stringify([previousPublic]) };
    const app = createApp();

    const oldToken = tenant.reader.headers;
    expect((await callApp(app, "/api/v1/auth/me", { headers: oldToken }, rotated)).status).toBe(200);
    const jwks = (await (await callApp(app, "/.well-known/jwks.json", {}, rotated)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((key) => key.kid)).toEqual(["next-key", previous.kid]);

    const issued = await callApp(
      app,
      "/api/v1/auth/token",
      json({ grant_type: "api_key", api_key: tenant.apiKey.key }),
      rotated,
    );
    const { access_token } = (await issued.json()) as Tokens;
    expect(JSON.parse(atob(access_token.split(".")[0] ?? "")).kid).toBe("next-key");
    expect((await callApp(app, "/api/v1/auth/me", { headers: bearer(access_token) }, rotated)).status).toBe(
      200,
    );
    // Without the rotation, the new key's tokens are unknown.
    await expectError(await me(bearer(access_token)), 401, "UNAUTHENTICATED");
  });
});

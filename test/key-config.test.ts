// The other ways to configure keys (API.md: "RS256/ES256/EdDSA via keys or JWKS URL, HS256 via
// secret"): an HS256 secret, a PEM signing key, and an external issuer's remote JWKS.
import { exportPKCS8, generateKeyPair, importJWK, SignJWT } from "jose";
import { ulid } from "ulidx";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createApp } from "../src/app";
import { answerOf, api, apiOf, expectStatus } from "./client";
import { createTenant, json, type TenantFixture } from "./fixtures";
import { callApp, expectError } from "./helpers";

let tenant: TenantFixture;
beforeAll(async () => {
  tenant = await createTenant();
});

const now = () => Math.floor(Date.now() / 1000);
const claimsFor = (subject: { id: string }, roles: string[]) => ({
  sub: subject.id,
  tid: tenant.id,
  roles,
  sty: "principal",
  jti: ulid(),
});

async function exchangeAndUse(bindings: Record<string, unknown>) {
  const app = createApp();
  const issued = await callApp(
    app,
    "/api/v1/auth/token",
    json({ grant_type: "api_key", api_key: tenant.apiKey.key }),
    bindings,
  );
  const { access_token } = await expectStatus(answerOf(api().api.v1.auth.token.$post, issued), 200);
  const me = await callApp(
    app,
    "/api/v1/auth/me",
    { headers: { authorization: `Bearer ${access_token}` } },
    bindings,
  );
  return { app, token: access_token, header: JSON.parse(atob(access_token.split(".")[0] ?? "")), me };
}

describe("HS256 with JWT_SECRET", () => {
  const bindings = { JWT_SIGNING_KEY: undefined, JWT_SECRET: "s".repeat(48) };

  it("issues and accepts HS256 tokens, publishes no keys, and refuses other algorithms", async () => {
    const { app, header, me } = await exchangeAndUse(bindings);
    expect(header.alg).toBe("HS256");
    expect(me.status).toBe(200);
    const jwks = await expectStatus(await apiOf(app, bindings)[".well-known"]["jwks.json"].$get(), 200);
    expect(jwks.keys).toEqual([]);
    // A token signed with the (usual) asymmetric test key is unknown here.
    await expectError(
      await callApp(app, "/api/v1/auth/me", { headers: tenant.reader.headers }, bindings),
      401,
      "UNAUTHENTICATED",
    );
    // The wrong secret.
    const forged = await new SignJWT(claimsFor(tenant.reader, ["reader"]))
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer("xzepr")
      .setAudience("xzepr-api")
      .setIssuedAt()
      .setNotBefore(now())
      .setExpirationTime(now() + 600)
      .sign(new TextEncoder().encode("t".repeat(48)));
    await expectError(
      await callApp(app, "/api/v1/auth/me", { headers: { authorization: `Bearer ${forged}` } }, bindings),
      401,
      "UNAUTHENTICATED",
    );
  });
});

describe("a PEM signing key", () => {
  it("signs with the configured kid and algorithm, and publishes its public key", async () => {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
    const bindings = {
      JWT_SIGNING_KEY: await exportPKCS8(privateKey),
      JWT_SIGNING_KEY_ID: "pem-1",
      JWT_SIGNING_ALG: "RS256",
    };
    const { app, header, me } = await exchangeAndUse(bindings);
    expect(header).toMatchObject({ alg: "RS256", kid: "pem-1" });
    expect(me.status).toBe(200);
    const jwks = await expectStatus(await apiOf(app, bindings)[".well-known"]["jwks.json"].$get(), 200);
    expect(jwks.keys[0]).toMatchObject({ kid: "pem-1", kty: "RSA", alg: "RS256" });
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("needs its kid and algorithm", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const response = await callApp(
      createApp(),
      "/health/live",
      {},
      { JWT_SIGNING_KEY: await exportPKCS8(privateKey) },
    );
    await expectError(response, 500, "BAD_ENVIRONMENT");
  });
});

describe("an external issuer's JWKS (JWT_JWKS_URL)", () => {
  const { issuerJwksUrl, issuerPrivateKey } = inject("stack");
  const bindings = { JWT_JWKS_URL: issuerJwksUrl };

  async function external(claims: Record<string, unknown>, kid = "external-1") {
    const jwk = JSON.parse(issuerPrivateKey) as { alg: string };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer("xzepr")
      .setAudience("xzepr-api")
      .setIssuedAt()
      .setNotBefore(now())
      .setExpirationTime(now() + 600)
      .sign(await importJWK(jwk, "ES256"));
  }

  it("accepts tokens signed by a key of the remote set, and refuses an unknown kid", async () => {
    const app = createApp();
    const good = await external(claimsFor(tenant.writer, ["writer"]));
    expect(
      (await callApp(app, "/api/v1/auth/me", { headers: { authorization: `Bearer ${good}` } }, bindings))
        .status,
    ).toBe(200);
    const unknown = await external(claimsFor(tenant.writer, ["writer"]), "external-404");
    await expectError(
      await callApp(app, "/api/v1/auth/me", { headers: { authorization: `Bearer ${unknown}` } }, bindings),
      401,
      "UNAUTHENTICATED",
    );
    // The service's own tokens keep working beside the external issuer's.
    expect((await callApp(app, "/api/v1/auth/me", { headers: tenant.reader.headers }, bindings)).status).toBe(
      200,
    );
  });
});

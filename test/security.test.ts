// The security matrix: every protected route refuses every bad credential with 401 (and the
// envelope and WWW-Authenticate), and a role without the route's permission with 403.
import { env } from "cloudflare:test";
import { generateKeyPair, SignJWT } from "jose";
import { ulid } from "ulidx";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { permissionsFor } from "../src/domain/permissions";
import { api, expectStatus } from "./client";
import { createTenant, forgeToken, json, type TenantFixture, tokensOf } from "./fixtures";
import { call, callApp, expectError } from "./helpers";

interface Operation {
  method: string;
  path: string;
  permission?: string;
}

const document = (await (await call("/openapi.json")).json()) as {
  paths: Record<string, Record<string, { security?: unknown[]; "x-required-permission"?: string }>>;
};
const protectedOperations: Operation[] = Object.entries(document.paths).flatMap(([path, operations]) =>
  Object.entries(operations)
    .filter(([, operation]) => (operation.security?.length ?? 0) > 0) // `security: []` is public
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      path: path.replace(/\{\w+\}/g, ulid()),
      ...(operation["x-required-permission"] ? { permission: operation["x-required-permission"] } : {}),
    })),
);

// Through an app of this file that waits for each request's after-response work: sent through
// SELF, 729 requests in a row leave their after-response work piling up behind them, and each
// took 100–300 ms instead of a few (the whole matrix 92 s instead of 5).
const app = createApp();
function send(operation: Operation, headers: Record<string, string>) {
  const hasBody = ["POST", "PUT", "PATCH"].includes(operation.method);
  return callApp(app, operation.path, {
    method: operation.method,
    headers: { ...headers, ...(hasBody ? { "content-type": "application/json" } : {}) },
    ...(hasBody ? { body: "{}" } : {}),
  });
}

let tenant: TenantFixture;
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({
  iss: "xzepr",
  aud: "xzepr-api",
  sub: tenant.writer.id,
  tid: tenant.id,
  roles: ["writer"],
  sty: "principal",
  jti: ulid(),
  iat: now(),
  nbf: now(),
  exp: now() + 600,
});
const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** Each case: a name and the headers that carry its bad credential (undefined: none at all). */
const cases: [string, () => Promise<Record<string, string> | undefined>][] = [
  ["no credentials", async () => undefined],
  ["garbage bearer", async () => ({ authorization: "Bearer garbage" })],
  ["not a bearer scheme", async () => ({ authorization: `Basic ${btoa("a:b")}` })],
  ["garbage API key", async () => ({ "x-api-key": "xzepr_nothex" })],
  ["unknown API key", async () => ({ "x-api-key": `xzepr_${"a".repeat(64)}` })],
  [
    "expired",
    async () => ({
      authorization: `Bearer ${await forgeToken({ ...claims(), iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })}`,
    }),
  ],
  [
    "not yet valid",
    async () => ({ authorization: `Bearer ${await forgeToken({ ...claims(), nbf: now() + 3600 })}` }),
  ],
  [
    "issued in the future",
    async () => ({ authorization: `Bearer ${await forgeToken({ ...claims(), iat: now() + 3600 })}` }),
  ],
  [
    "wrong issuer",
    async () => ({ authorization: `Bearer ${await forgeToken({ ...claims(), iss: "someone-else" })}` }),
  ],
  [
    "wrong audience",
    async () => ({ authorization: `Bearer ${await forgeToken({ ...claims(), aud: "other-api" })}` }),
  ],
  [
    "missing tid",
    async () => {
      const { tid: _tid, ...rest } = claims();
      return { authorization: `Bearer ${await forgeToken(rest)}` };
    },
  ],
  [
    "wrong key, same kid",
    async () => {
      const { privateKey } = await generateKeyPair("ES256");
      return { authorization: `Bearer ${await forgeToken(claims(), { key: privateKey })}` };
    },
  ],
  [
    "unknown kid",
    async () => ({ authorization: `Bearer ${await forgeToken(claims(), { header: { kid: "nope" } })}` }),
  ],
  [
    "alg none",
    async () => ({ authorization: `Bearer ${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims())}.` }),
  ],
  [
    "HS256 signed with the public key (algorithm confusion)",
    async () => {
      const { d: _d, ...publicJwk } = JSON.parse(env.JWT_SIGNING_KEY as string) as Record<string, unknown>;
      const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
      const token = await new SignJWT(claims())
        .setProtectedHeader({ alg: "HS256", kid: publicJwk.kid as string })
        .sign(secret);
      return { authorization: `Bearer ${token}` };
    },
  ],
  [
    "revoked jti",
    async () => {
      const token = await forgeToken(claims());
      await call("/api/v1/auth/revoke", json({ token }, { authorization: `Bearer ${token}` }));
      return { authorization: `Bearer ${token}` };
    },
  ],
  [
    "reused refresh token (family revoked)",
    async () => {
      const first = await tokensOf({ grant_type: "api_key", api_key: tenant.apiKey.key });
      const second = await tokensOf({ grant_type: "refresh_token", refresh_token: first.refresh_token });
      await call(
        "/api/v1/auth/token",
        json({ grant_type: "refresh_token", refresh_token: first.refresh_token }),
      );
      return { authorization: `Bearer ${second.access_token}` };
    },
  ],
  [
    "disabled principal",
    async () => {
      const actor = await tenant.actor("writer");
      await call(`/api/v1/admin/principals/${actor.id}`, {
        method: "PATCH",
        headers: { ...tenant.admin.headers, "content-type": "application/json" },
        body: JSON.stringify({ enabled: false }),
      });
      return actor.headers;
    },
  ],
  [
    "disabled tenant",
    async () => {
      const victim = await createTenant();
      const operator = await tenant.actor("platform_admin");
      await call(`/api/v1/admin/tenants/${victim.id}`, {
        method: "PATCH",
        headers: { ...operator.headers, "content-type": "application/json" },
        body: JSON.stringify({ enabled: false }),
      });
      return victim.admin.headers;
    },
  ],
  [
    "token of an unknown tenant",
    async () => ({ authorization: `Bearer ${await forgeToken({ ...claims(), tid: ulid() })}` }),
  ],
];

beforeAll(async () => {
  tenant = await createTenant();
});

describe("every protected route", () => {
  it("is listed", () => expect(protectedOperations.length).toBeGreaterThanOrEqual(12));

  it("accepts the unaltered forged token (the control for the cases below)", async () => {
    const response = await call("/api/v1/auth/me", {
      headers: { authorization: `Bearer ${await forgeToken(claims())}` },
    });
    expect(response.status).toBe(200);
  });

  describe.each(cases)("refuses %s with 401", (name, credential) => {
    let headers: Record<string, string> | undefined;
    beforeAll(async () => {
      headers = await credential();
    });

    it.each(protectedOperations)("$method $path", async (operation) => {
      const response = await send(operation, headers ?? {});
      const challenge = headers ? 'Bearer realm="xzepr", error="invalid_token"' : 'Bearer realm="xzepr"';
      expect(response.headers.get("www-authenticate"), name).toBe(challenge);
      await expectError(response, 401, "UNAUTHENTICATED");
    });
  });

  describe("refuses a role without the route's permission with 403", () => {
    const readerCan = new Set<string>(permissionsFor(["reader"]));
    const forbidden = protectedOperations.filter(
      (operation) => operation.permission && !readerCan.has(operation.permission),
    );

    it("has routes a reader may not use", () => expect(forbidden.length).toBeGreaterThan(5));

    it.each(forbidden)("$method $path ($permission)", async (operation) => {
      await expectError(await send(operation, tenant.reader.headers), 403, "FORBIDDEN");
    });
  });
});

describe("tenant isolation", () => {
  it("answers 404 for another tenant's API key and principal", async () => {
    const other = await createTenant();
    const headers = tenant.admin.headers;
    await expectError(await call(`/api/v1/api-keys/${other.apiKey.id}`, { headers }), 404, "NOT_FOUND");
    await expectError(
      await call(`/api/v1/api-keys/${other.apiKey.id}`, { method: "DELETE", headers }),
      404,
      "NOT_FOUND",
    );
    const patch = {
      method: "PATCH",
      headers: { ...headers, "content-type": "application/json" },
      body: '{"enabled": false}',
    };
    await expectError(await call(`/api/v1/admin/principals/${other.writer.id}`, patch), 404, "NOT_FOUND");
    await expectError(
      await call(`/api/v1/admin/principals/${other.writer.id}`, { method: "DELETE", headers }),
      404,
      "NOT_FOUND",
    );
    // Nothing changed on the other side.
    expect((await call("/api/v1/auth/me", { headers: other.writer.headers })).status).toBe(200);
    expect((await call("/api/v1/auth/me", { headers: other.apiKey.headers })).status).toBe(200);
    const listed = await expectStatus(await api(headers).api.v1.admin.principals.$get({ query: {} }), 200);
    expect(listed.data.map((principal) => principal.id)).not.toContain(other.writer.id);
  });
});

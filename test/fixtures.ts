// Test tenants, principals, API keys and tokens, written straight into the real test database.
import { env } from "cloudflare:test";
import type { InferResponseType } from "hono/client";
import type { JSONValue } from "hono/utils/types";
import { importJWK, SignJWT } from "jose";
import { ulid } from "ulidx";
import type { TenantSettings } from "../src/contracts/tenant-settings";
import { openDatabase } from "../src/db/client";
import { apiKeys, principals, tenants } from "../src/db/schema";
import { newApiKeySecret } from "../src/domain/api-key-secret";
import type { Role } from "../src/domain/permissions";
import { loadConfig } from "../src/env";
import { signAccessToken } from "../src/infra/jwt";
import { answerOf, api, expectStatus } from "./client";
import { call } from "./helpers";

export const config = () => loadConfig(env);

export function withDb<T>(work: (db: ReturnType<typeof openDatabase>["db"]) => Promise<T>): Promise<T> {
  return work(openDatabase(config()).db);
}

export interface Actor {
  id: string;
  token: string;
  headers: { authorization: string };
}

export interface TenantFixture {
  id: string;
  slug: string;
  admin: Actor;
  writer: Actor;
  reader: Actor;
  /** An admin API key. */
  apiKey: { id: string; key: string; headers: { "x-api-key": string } };
  /** Another principal with the role, created on demand. */
  actor(role: Role): Promise<Actor>;
}

export async function tokenFor(tenantId: string, principalId: string, roles: string[]): Promise<string> {
  return signAccessToken(
    config(),
    { sub: principalId, jti: ulid(), tid: tenantId, roles, sty: "principal" },
    Math.floor(Date.now() / 1000),
  );
}

async function createActor(tenantId: string, role: Role): Promise<Actor> {
  const id = ulid();
  await withDb((db) => db.insert(principals).values({ id, tenantId, name: `${role}-${id}`, roles: [role] }));
  const token = await tokenFor(tenantId, id, [role]);
  return { id, token, headers: { authorization: `Bearer ${token}` } };
}

/**
 * Tenants of most tests get rate limits high enough never to interfere; the rate-limit tests pass
 * `settings: {}` to get the defaults.
 */
export const UNLIMITED = { rate_limits: { authenticated: 1_000_000, admin: 1_000_000 } };

export async function createTenant(options: { settings?: TenantSettings } = {}): Promise<TenantFixture> {
  const id = ulid();
  const slug = `t-${id.toLowerCase()}`;
  await withDb((db) =>
    db.insert(tenants).values({ id, slug, name: slug, settings: options.settings ?? UNLIMITED }),
  );
  const secret = await newApiKeySecret();
  const keyId = ulid();
  await withDb((db) =>
    db.insert(apiKeys).values({
      id: keyId,
      tenantId: id,
      name: "fixture admin key",
      prefix: secret.prefix,
      keyHash: secret.hash,
      roles: ["admin"],
    }),
  );
  const [admin, writer, reader] = await Promise.all([
    createActor(id, "admin"),
    createActor(id, "writer"),
    createActor(id, "reader"),
  ]);
  return {
    id,
    slug,
    admin,
    writer,
    reader,
    apiKey: { id: keyId, key: secret.key, headers: { "x-api-key": secret.key } },
    actor: (role) => createActor(id, role),
  };
}

/** A token with any claims and header, signed with the test signing key (or another key). */
export async function forgeToken(
  claims: Record<string, unknown>,
  options: { header?: Record<string, unknown>; key?: CryptoKey | Uint8Array } = {},
): Promise<string> {
  const jwk = JSON.parse(env.JWT_SIGNING_KEY as string) as { kid: string; alg: string };
  const key = options.key ?? ((await importJWK(jwk, jwk.alg)) as CryptoKey);
  return new SignJWT(claims).setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, ...options.header }).sign(key);
}

export const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

/** A receiver created through the API; its schema requires a numeric `size` unless given. */
type ReceiverOverrides = Partial<{
  name: string;
  type: string;
  version: string;
  schema: Record<string, unknown>;
}>;

/** A valid receiver body: a fresh name, an object schema with a required integer `size`. */
export function receiverBody(overrides: ReceiverOverrides = {}) {
  return {
    name: overrides.name ?? `receiver-${ulid()}`,
    type: overrides.type ?? "ci.test",
    version: overrides.version ?? "1.0.0",
    schema: overrides.schema ?? {
      type: "object",
      properties: { size: { type: "integer" }, tag: { type: "string" } },
      required: ["size"],
    },
  };
}

export async function createReceiver(
  tenant: TenantFixture,
  overrides: ReceiverOverrides = {},
): Promise<{ id: string; fingerprint: string }> {
  const response = await call("/api/v1/receivers", json(receiverBody(overrides), tenant.writer.headers));
  return (await expectStatus(answerOf(api().api.v1.receivers.$post, response), 201)).data;
}

export interface ArtifactEvent {
  name: string;
  version: string;
  release: string;
  platform_id: string;
  package: string;
}

export function artifact(overrides: Partial<ArtifactEvent> = {}): ArtifactEvent {
  return {
    name: "foo",
    version: "1.4.2",
    release: "1",
    platform_id: "linux-amd64",
    package: "rpm",
    ...overrides,
  };
}

export function postEvent(
  tenant: TenantFixture,
  receiverId: string,
  options: { success?: boolean; key?: ArtifactEvent; payload?: Record<string, JSONValue> } = {},
) {
  return api(tenant.writer.headers).api.v1.events.$post({
    json: {
      ...(options.key ?? artifact()),
      description: "test event",
      payload: options.payload ?? { size: 1 },
      success: options.success ?? true,
      event_receiver_id: receiverId,
    },
  });
}

/** An event the test expects to be accepted: its body as GET /api/v1/events/{id} shows it. */
export async function recordEvent(...args: Parameters<typeof postEvent>) {
  return (await expectStatus(await postEvent(...args), 201)).data;
}

type Client = ReturnType<typeof api>;
/** The bare OAuth 2.0 token response of POST /api/v1/auth/token. */
export type Tokens = InferResponseType<Client["api"]["v1"]["auth"]["token"]["$post"], 200>;

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** POST /api/v1/auth/token with any body (tests send invalid grants too); the tokens on a 200. */
export async function exchange(body: Record<string, string>) {
  const response = await call("/api/v1/auth/token", json(body));
  return { response, tokens: response.ok ? ((await response.json()) as Tokens) : undefined };
}

/** The tokens of a grant the test expects to succeed. */
export async function tokensOf(body: Record<string, string>): Promise<Tokens> {
  const { response, tokens } = await exchange(body);
  if (!tokens) throw new Error(`token exchange failed: ${response.status} ${await response.text()}`);
  return tokens;
}

/** GET /api/v1/auth/me as the caller these headers name. */
export const me = (headers: Record<string, string>) => api(headers).api.v1.auth.me.$get();

// Who is calling: API keys and access tokens resolved to a principal of a tenant. Signature and
// claims are checked in the isolate (no round trip once a key is known); status (disabled,
// revoked) by the tenant's TenantGate, in the same call that admits the request (`passGate`).
import { and, eq } from "drizzle-orm";
import type {
  AccessQuery,
  AdmitRequest,
  AdmitVerdict,
  PassVerdict,
  SubjectKind,
  SubjectStatus,
} from "../contracts/gate";
import type { Database } from "../db/client";
import { apiKeys, principals, tenants } from "../db/schema";
import type { Config } from "../env";
import { TokenRejected, verifyAccessToken } from "../infra/jwt";
import { sha256Hex } from "../lib/crypto";
import { API_KEY_PATTERN } from "./api-key-secret";
import type { GateDirectory } from "./ports";

export interface Principal {
  /** The principal's id, or the API key's id when an API key acts. */
  id: string;
  type: "principal" | "api_key";
  tenantId: string;
  roles: string[];
  auth: "jwt" | "api_key";
  jti?: string;
  family?: string;
  /** Access token expiry (epoch seconds). */
  expiresAt?: number;
}

/** A refused credential; `reason` goes to logs and metrics, never to the client. */
export class AuthFailure extends Error {
  constructor(
    readonly reason: string,
    readonly presented: boolean,
  ) {
    super(reason);
  }
}

export interface AuthDeps {
  config: Config;
  db: Database;
  /** Epoch seconds. */
  now: number;
  /** The tenants' gates. */
  gates: GateDirectory;
}

interface KnownKey {
  id: string;
  tenantId: string;
  roles: string[];
  expiresAt: number | null;
  revoked: boolean;
  cachedAt: number;
}

// Key hash → key facts. Revocation is decided by the TenantGate, so a cached entry is safe.
const keyCache = new Map<string, KnownKey>();
const KEY_CACHE_SECONDS = 60;
const KEY_CACHE_MAX = 1_000;

// Hashes of keys that do not exist → when that was learnt: bad keys cannot make every request
// a database query (authentication runs before rate limits).
const unknownKeys = new Map<string, number>();

async function findApiKey(deps: AuthDeps, key: string): Promise<KnownKey | undefined> {
  const hash = await sha256Hex(key);
  const cached = keyCache.get(hash);
  if (cached && deps.now - cached.cachedAt < KEY_CACHE_SECONDS) return cached;
  const missed = unknownKeys.get(hash);
  if (missed !== undefined && deps.now - missed < KEY_CACHE_SECONDS) return undefined;
  // The only lookup not scoped by tenant: the key is what tells the tenant. key_hash is unique.
  const [row] = await deps.db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash));
  if (!row) {
    if (unknownKeys.size >= KEY_CACHE_MAX) unknownKeys.clear();
    unknownKeys.set(hash, deps.now);
    return undefined;
  }
  const known: KnownKey = {
    id: row.id,
    tenantId: row.tenantId,
    roles: row.roles,
    expiresAt: row.expiresAt ? Math.floor(row.expiresAt.getTime() / 1000) : null,
    revoked: row.revokedAt !== null,
    cachedAt: deps.now,
  };
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string);
  keyCache.set(hash, known);
  return known;
}

/** Loads what the gate does not know yet from the database (tenant-scoped) and teaches it. */
async function loadSubjects(deps: AuthDeps, tenantId: string, subjects: { kind: SubjectKind; id: string }[]) {
  const statuses: SubjectStatus[] = [];
  for (const subject of subjects) {
    if (subject.kind === "tenant") {
      const [row] = await deps.db
        .select({ enabled: tenants.enabled })
        .from(tenants)
        .where(eq(tenants.id, tenantId));
      if (!row) throw new AuthFailure("unknown_tenant", true);
      statuses.push({ kind: "tenant", id: tenantId, active: row.enabled });
    } else if (subject.kind === "principal") {
      const [row] = await deps.db
        .select({ enabled: principals.enabled })
        .from(principals)
        .where(and(eq(principals.tenantId, tenantId), eq(principals.id, subject.id)));
      if (!row) throw new AuthFailure("unknown_principal", true);
      statuses.push({ kind: "principal", id: subject.id, active: row.enabled });
    } else {
      const [row] = await deps.db
        .select({ revokedAt: apiKeys.revokedAt, expiresAt: apiKeys.expiresAt })
        .from(apiKeys)
        .where(and(eq(apiKeys.tenantId, tenantId), eq(apiKeys.id, subject.id)));
      if (!row) throw new AuthFailure("unknown_api_key", true);
      statuses.push({
        kind: "api_key",
        id: subject.id,
        active: row.revokedAt === null,
        expiresAt: row.expiresAt ? Math.floor(row.expiresAt.getTime() / 1000) : null,
      });
    }
  }
  return statuses;
}

/** The gate's question about a principal: the tenant and the subject active, the token not revoked. */
function accessQuery(principal: StatusSubject, now: number): AccessQuery {
  return {
    subjects: [
      { kind: "tenant", id: principal.tenantId },
      { kind: principal.type, id: principal.id },
    ],
    now,
    ...(principal.jti ? { jti: principal.jti } : {}),
    ...(principal.family ? { family: principal.family } : {}),
  };
}

type StatusSubject = Pick<Principal, "id" | "type" | "tenantId" | "jti" | "family">;

/**
 * ONE call to the tenant's gate: may the subject act now, and (with `admit`) is the request
 * admitted. Only when the gate has never seen a subject does it cost more: the statuses are read
 * from the database (tenant-scoped) and the gate is asked again, learning them.
 */
export async function passGate(
  deps: AuthDeps,
  principal: StatusSubject,
  admit?: AdmitRequest,
): Promise<AdmitVerdict | undefined> {
  const gate = deps.gates(principal.tenantId);
  const access = accessQuery(principal, deps.now);
  const request = admit ? { access, admit } : { access };
  let verdict: PassVerdict = await gate.pass(request);
  if (verdict.verdict === "unknown") {
    const learn = await loadSubjects(deps, principal.tenantId, verdict.subjects);
    verdict = await gate.pass({ ...request, learn });
  }
  if (verdict.verdict === "deny") throw new AuthFailure(verdict.reason, true);
  if (verdict.verdict === "unknown") throw new AuthFailure("unknown_subject", true);
  return verdict.verdict === "allow" ? undefined : verdict;
}

export async function authenticateApiKey(deps: AuthDeps, key: string): Promise<Principal> {
  if (!API_KEY_PATTERN.test(key)) throw new AuthFailure("malformed_api_key", true);
  const known = await findApiKey(deps, key);
  if (!known) throw new AuthFailure("unknown_api_key", true);
  const principal: Principal = {
    id: known.id,
    type: "api_key",
    tenantId: known.tenantId,
    roles: known.roles,
    auth: "api_key",
  };
  return principal;
}

export async function authenticateBearer(deps: AuthDeps, token: string): Promise<Principal> {
  let claims: Awaited<ReturnType<typeof verifyAccessToken>>;
  try {
    claims = await verifyAccessToken(deps.config, token, deps.now);
  } catch (error) {
    throw new AuthFailure(error instanceof TokenRejected ? error.reason : "malformed", true);
  }
  const principal: Principal = {
    id: claims.sub,
    type: claims.sty,
    tenantId: claims.tid,
    roles: claims.roles,
    auth: "jwt",
    jti: claims.jti,
    ...(claims.fam ? { family: claims.fam } : {}),
    ...(claims.exp ? { expiresAt: claims.exp } : {}),
  };
  return principal;
}

/**
 * Resolves the request's credentials to a principal, in the isolate; its status is the gate's
 * (`passGate`). Exactly one kind may be presented.
 */
export async function authenticate(
  deps: AuthDeps,
  credentials: { authorization?: string | undefined; apiKey?: string | undefined },
): Promise<Principal> {
  const { authorization, apiKey } = credentials;
  if (authorization !== undefined && apiKey !== undefined) throw new AuthFailure("two_credentials", true);
  if (apiKey !== undefined) return authenticateApiKey(deps, apiKey.trim());
  if (authorization === undefined) throw new AuthFailure("no_credentials", false);
  const match = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new AuthFailure("malformed_authorization", true);
  return authenticateBearer(deps, match[1]);
}

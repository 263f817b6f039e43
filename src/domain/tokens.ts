// The token endpoint's rules: API key → tokens, refresh rotation with reuse detection, revocation.
import { and, eq, gt, isNull } from "drizzle-orm";
import { ulid } from "ulidx";
import type { RequestMeta } from "../contracts/request";
import { auditLogs, refreshTokens } from "../db/schema";
import { callGate, gateFor } from "../infra/gate";
import { signAccessToken, TokenRejected, verifyAccessToken } from "../infra/jwt";
import { randomHex, sha256Hex } from "../lib/crypto";
import { type AuditActor, auditRow, writeAudit } from "./audit";
import { type AuthDeps, AuthFailure, authenticateApiKey, type Principal, passGate } from "./auth";

export const REFRESH_TOKEN_PATTERN = /^xzepr_rt_[0-9a-f]{64}$/;

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
}

/** The family's audit entry: resource `token_family`, the family id. */
const familyEntry = (action: string, family: string, outcome: "success" | "denied" = "success") => ({
  action,
  resourceType: "token_family",
  resourceId: family,
  outcome,
});

async function issue(
  deps: AuthDeps,
  request: RequestMeta,
  subject: Pick<Principal, "id" | "type" | "tenantId" | "roles">,
  family: string,
) {
  const { config, db, now } = deps;
  const refresh = `xzepr_rt_${randomHex(32)}`;
  const tokenHash = await sha256Hex(refresh);
  // One batch: the token and its audit entry are stored together or not at all.
  await db.batch([
    db.insert(refreshTokens).values({
      id: ulid(),
      tenantId: subject.tenantId,
      familyId: family,
      subjectType: subject.type,
      subjectId: subject.id,
      roles: subject.roles,
      tokenHash,
      expiresAt: new Date((now + config.REFRESH_TOKEN_TTL_SECONDS) * 1000),
    }),
    db
      .insert(auditLogs)
      .values(
        auditRow(
          { tenantId: subject.tenantId, principal: subject, request },
          familyEntry("auth.token_issued", family),
        ),
      ),
  ]);
  const access = await signAccessToken(
    config,
    {
      sub: subject.id,
      jti: ulid(),
      tid: subject.tenantId,
      roles: subject.roles,
      sty: subject.type,
      fam: family,
    },
    now,
  );
  return {
    access_token: access,
    token_type: "Bearer" as const,
    expires_in: config.ACCESS_TOKEN_TTL_SECONDS,
    refresh_token: refresh,
  } satisfies TokenResponse;
}

export async function exchangeApiKey(
  deps: AuthDeps,
  request: RequestMeta,
  apiKey: string,
): Promise<{ principal: Principal; tokens: TokenResponse }> {
  const principal = await authenticateApiKey(deps, apiKey);
  await passGate(deps, principal);
  return { principal, tokens: await issue(deps, request, principal, ulid()) };
}

/**
 * Revokes a whole family: its refresh tokens in the database (with `actor`'s audit entry), and
 * its access tokens at the gate.
 */
async function revokeFamily(
  deps: AuthDeps,
  actor: AuditActor,
  family: string,
  entry: ReturnType<typeof familyEntry>,
) {
  const { tenantId } = actor;
  await deps.db.batch([
    deps.db
      .update(refreshTokens)
      .set({ revokedAt: new Date(deps.now * 1000) })
      .where(
        and(
          eq(refreshTokens.tenantId, tenantId),
          eq(refreshTokens.familyId, family),
          isNull(refreshTokens.revokedAt),
        ),
      ),
    deps.db.insert(auditLogs).values(auditRow(actor, entry)),
  ]);
  await callGate(() =>
    gateFor(deps.config, tenantId).revoke([
      { kind: "family", id: family, expiresAt: deps.now + deps.config.REFRESH_TOKEN_TTL_SECONDS },
    ]),
  );
}

/**
 * Rotates a refresh token. Each one works once: presenting a used one means it was stolen or
 * replayed, so the whole family is revoked (RFC 6819 §5.2.2.3, OAuth 2.0 Security BCP §4.14).
 */
export async function rotateRefreshToken(
  deps: AuthDeps,
  request: RequestMeta,
  token: string,
): Promise<{ principal: Principal; tokens: TokenResponse }> {
  if (!REFRESH_TOKEN_PATTERN.test(token)) throw new AuthFailure("malformed_refresh_token", true);
  const hash = await sha256Hex(token);
  const nowDate = new Date(deps.now * 1000);
  // Claim the token atomically: of two concurrent uses only one gets the row. Like an API key,
  // the token is what tells the tenant, so these two lookups go by its (unique) hash alone.
  const [claimed] = await deps.db
    .update(refreshTokens)
    .set({ usedAt: nowDate })
    .where(
      and(
        eq(refreshTokens.tokenHash, hash),
        isNull(refreshTokens.usedAt),
        isNull(refreshTokens.revokedAt),
        gt(refreshTokens.expiresAt, nowDate),
      ),
    )
    .returning();
  if (!claimed) {
    const [known] = await deps.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, hash));
    if (known?.usedAt) {
      const holder = { id: known.subjectId, type: known.subjectType };
      await revokeFamily(
        deps,
        { tenantId: known.tenantId, principal: holder, request },
        known.familyId,
        familyEntry("auth.refresh_reused", known.familyId, "denied"),
      );
      throw new AuthFailure("refresh_token_reused", true);
    }
    throw new AuthFailure(known ? "refresh_token_expired_or_revoked" : "unknown_refresh_token", true);
  }
  const principal: Principal = {
    id: claimed.subjectId,
    type: claimed.subjectType,
    tenantId: claimed.tenantId,
    roles: claimed.roles,
    auth: "jwt",
    family: claimed.familyId,
  };
  await passGate(deps, principal);
  return { principal, tokens: await issue(deps, request, principal, claimed.familyId) };
}

/**
 * RFC 7009: revokes an access token (by jti, until it expires) or a refresh token (its family),
 * if it belongs to the caller's tenant. Anything else is quietly ignored.
 */
export async function revokeToken(
  deps: AuthDeps,
  request: RequestMeta,
  caller: Principal,
  token: string,
): Promise<void> {
  const actor = { tenantId: caller.tenantId, principal: caller, request };
  if (REFRESH_TOKEN_PATTERN.test(token)) {
    const [known] = await deps.db
      .select()
      .from(refreshTokens)
      .where(
        and(eq(refreshTokens.tenantId, caller.tenantId), eq(refreshTokens.tokenHash, await sha256Hex(token))),
      );
    if (known) {
      await revokeFamily(deps, actor, known.familyId, familyEntry("auth.token_revoked", known.familyId));
    }
    return;
  }
  try {
    const claims = await verifyAccessToken(deps.config, token, deps.now);
    if (claims.tid !== caller.tenantId) return;
    await callGate(() =>
      gateFor(deps.config, caller.tenantId).revoke([
        {
          kind: "jti",
          id: claims.jti,
          expiresAt: (claims.exp ?? deps.now) + deps.config.JWT_CLOCK_SKEW_SECONDS,
        },
      ]),
    );
    await writeAudit(deps.db, actor, {
      action: "auth.token_revoked",
      resourceType: "access_token",
      resourceId: claims.jti,
    });
  } catch (error) {
    if (!(error instanceof TokenRejected)) throw error;
  }
}

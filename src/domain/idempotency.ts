// Idempotency-Key (API.md "Headers"): the first completed response per (tenant, principal, key)
// is kept 24 h and replayed for the same request; another request with the key → 422; the same
// while the first still runs → 409.
import { and, eq, lt } from "drizzle-orm";
import type { Database } from "../db/client";
import { idempotencyKeys } from "../db/schema";

export const RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Claim =
  | { state: "claimed" }
  | { state: "replay"; response: StoredResponse }
  | { state: "in_flight" }
  | { state: "mismatch" };

export interface KeyScope {
  db: Database;
  tenantId: string;
  principalId: string;
  key: string;
}

const scoped = (scope: KeyScope) =>
  and(
    eq(idempotencyKeys.tenantId, scope.tenantId),
    eq(idempotencyKeys.principalId, scope.principalId),
    eq(idempotencyKeys.key, scope.key),
  );

/**
 * Claims the key for this request, or says what the earlier request with it left. A claim older
 * than `abandonAfterMs` without a response was abandoned (its isolate died) and is taken over.
 */
export async function claimKey(
  scope: KeyScope,
  requestHash: string,
  now: Date,
  abandonAfterMs: number,
): Promise<Claim> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const inserted = await scope.db
      .insert(idempotencyKeys)
      .values({
        tenantId: scope.tenantId,
        principalId: scope.principalId,
        key: scope.key,
        requestHash,
        createdAt: now,
        expiresAt: new Date(now.getTime() + RETENTION_MS),
      })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length > 0) return { state: "claimed" };

    const [row] = await scope.db.select().from(idempotencyKeys).where(scoped(scope));
    if (!row) continue; // released between our insert and select: try again
    const abandoned = row.responseStatus === null && now.getTime() - row.createdAt.getTime() > abandonAfterMs;
    if (row.expiresAt <= now || abandoned) {
      await scope.db
        .delete(idempotencyKeys)
        .where(and(scoped(scope), eq(idempotencyKeys.createdAt, row.createdAt)));
      continue;
    }
    if (row.requestHash !== requestHash) return { state: "mismatch" };
    if (row.responseStatus === null) return { state: "in_flight" };
    return {
      state: "replay",
      response: {
        status: row.responseStatus,
        headers: (row.responseHeaders ?? {}) as Record<string, string>,
        body: row.responseBody ?? "",
      },
    };
  }
  return { state: "in_flight" };
}

export async function completeKey(scope: KeyScope, response: StoredResponse): Promise<void> {
  await scope.db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseHeaders: response.headers, responseBody: response.body })
    .where(scoped(scope));
}

/** Lets the client retry with the same key (the response was not one to keep). */
export async function releaseKey(scope: KeyScope): Promise<void> {
  await scope.db.delete(idempotencyKeys).where(scoped(scope));
}

/** Run by the scheduled handler. */
export async function purgeExpiredKeys(db: Database, now: Date): Promise<number> {
  const purged = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.expiresAt, now))
    .returning({ key: idempotencyKeys.key });
  return purged.length;
}

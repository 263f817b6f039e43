// Idempotency-Key (API.md "Headers"): the first completed response per (tenant, principal, key)
// is kept 24 h and replayed for the same request; another request with the key → 422; the same
// while the first still runs → 409. A claim is one round trip; the response is stored by one more
// statement, which event creation sends in the same batch as the event.
import { and, eq, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { idempotencyKeys } from "../db/schema";

/** Answers an Idempotency-Key stores and replays: not those the client may retry (API.md). */
export const isReplayable = (status: number) => status < 500 && status !== 409 && status !== 429;

export const RETENTION_MS = 24 * 60 * 60 * 1000;

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A claimed key whose response the handler may store in its own write (`stored` then says so). */
export interface ClaimedKey {
  scope: KeyScope;
  stored: boolean;
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
 * Claims the key for this request in one statement, or says what the earlier request with it
 * left. An expired key, or a claim older than `abandonAfterMs` without a response (its isolate
 * died), is taken over by the same statement.
 */
export async function claimKey(
  scope: KeyScope,
  requestHash: string,
  now: Date,
  abandonAfterMs: number,
): Promise<Claim> {
  const at = now.toISOString();
  const abandonedBefore = new Date(now.getTime() - abandonAfterMs).toISOString();
  const expiresAt = new Date(now.getTime() + RETENTION_MS).toISOString();
  for (let attempt = 0; attempt < 2; attempt++) {
    const { rows } = await scope.db.execute<{
      claimed: boolean;
      request_hash: string | null;
      response_status: number | null;
      response_headers: Record<string, string> | null;
      response_body: string | null;
    }>(sql`
      with claimed as (
        insert into idempotency_keys (tenant_id, principal_id, key, request_hash, created_at, expires_at)
        values (${scope.tenantId}, ${scope.principalId}, ${scope.key}, ${requestHash}, ${at}::timestamptz,
                ${expiresAt}::timestamptz)
        on conflict (tenant_id, principal_id, key) do update
           set request_hash = excluded.request_hash, created_at = excluded.created_at,
               expires_at = excluded.expires_at, response_status = null, response_headers = null,
               response_body = null
         where idempotency_keys.expires_at <= ${at}::timestamptz
            or (idempotency_keys.response_status is null
                and idempotency_keys.created_at < ${abandonedBefore}::timestamptz)
        returning 1
      )
      select true as claimed, null::text as request_hash, null::integer as response_status,
             null::jsonb as response_headers, null::text as response_body
        from claimed
      union all
      select false, request_hash, response_status, response_headers, response_body
        from idempotency_keys
       where not exists (select 1 from claimed)
         and tenant_id = ${scope.tenantId} and principal_id = ${scope.principalId} and key = ${scope.key}`);
    const row = rows[0];
    // Neither: the row that stopped the insert committed after this statement's snapshot.
    if (!row) continue;
    if (row.claimed) return { state: "claimed" };
    if (row.request_hash !== requestHash) return { state: "mismatch" };
    if (row.response_status === null) return { state: "in_flight" };
    return {
      state: "replay",
      response: {
        status: Number(row.response_status),
        headers: row.response_headers ?? {},
        body: row.response_body ?? "",
      },
    };
  }
  return { state: "in_flight" };
}

/** The statement that stores the response (awaited alone, or batched with the request's write). */
export function storeResponse(scope: KeyScope, response: StoredResponse) {
  return scope.db
    .update(idempotencyKeys)
    .set({ responseStatus: response.status, responseHeaders: response.headers, responseBody: response.body })
    .where(scoped(scope));
}

export async function completeKey(scope: KeyScope, response: StoredResponse): Promise<void> {
  await storeResponse(scope, response);
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

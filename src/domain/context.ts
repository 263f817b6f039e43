// What every tenant-scoped service receives. Services never see the HTTP context.

import type { RequestMeta } from "../contracts/request";
import type { Database, RunTransaction } from "../db/client";
import type { Config } from "../env";
import { ApiError, sqlStateOf } from "../lib/errors";
import type { Principal } from "./auth";

export interface ServiceContext {
  /** One round trip per statement or batch. */
  db: Database;
  /** An interactive transaction: only where a change must read, decide and write in one. */
  transaction: RunTransaction;
  config: Config;
  /** Every query a service makes filters on this. */
  tenantId: string;
  principal: Principal;
  /** The request acting (for audit entries). */
  request: RequestMeta;
  now: Date;
}

/** True when a database error (or its cause) has this PostgreSQL SQLSTATE. */
export function hasSqlState(error: unknown, state: "23505" | "23503"): boolean {
  return sqlStateOf(error) === state;
}

/** Runs `work`; a unique-constraint violation (a duplicate identity) becomes 409 CONFLICT. */
export async function conflictOnDuplicate<T>(message: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (hasSqlState(error, "23505")) throw new ApiError(409, "CONFLICT", message);
    throw error;
  }
}

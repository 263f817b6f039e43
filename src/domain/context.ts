// What every tenant-scoped service receives. Services never see the HTTP context.
import type { Database } from "../db/client";
import type { Config } from "../env";
import type { Principal } from "./auth";

export interface ServiceContext {
  db: Database;
  config: Config;
  /** Every query a service makes filters on this. */
  tenantId: string;
  principal: Principal;
  now: Date;
}

/** True when a database error is a unique-constraint violation (PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  for (let current = error; current; current = (current as { cause?: unknown }).cause) {
    if ((current as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

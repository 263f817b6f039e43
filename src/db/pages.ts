// The one tenant-scoped list query: a tenant's rows of a table, newest first by id (ULIDs are
// time-ordered), narrowed by filters, continued after a cursor's id.
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Database } from "./client";

export interface Page {
  limit: number;
  /** The id the cursor points at: the page starts after it. */
  after?: string | undefined;
}

type TenantTable = PgTable & { id: PgColumn; tenantId: PgColumn; $inferSelect: Record<string, unknown> };

export function tenantPage<T extends TenantTable>(
  db: Database,
  table: T,
  tenantId: string,
  page: Page,
  filters: (SQL | undefined)[] = [],
): Promise<T["$inferSelect"][]> {
  return db
    .select()
    .from(table as PgTable)
    .where(and(eq(table.tenantId, tenantId), ...filters, page.after ? lt(table.id, page.after) : undefined))
    .orderBy(desc(table.id))
    .limit(page.limit) as Promise<T["$inferSelect"][]>;
}

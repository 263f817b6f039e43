// Query building blocks shared by the list queries.
import { type Column, eq } from "drizzle-orm";

/** `column = value` when the filter was given; `and()` skips the undefined ones. */
export function eqIfGiven<T>(column: Column, value: T | undefined) {
  return value === undefined ? undefined : eq(column, value);
}

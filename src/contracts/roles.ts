// The roles a principal or an API key can hold (stored as text[]; src/domain/permissions.ts maps
// them to permissions).
export const ROLES = ["admin", "writer", "reader", "platform_admin"] as const;
export type Role = (typeof ROLES)[number];

// RBAC: the one table mapping roles to permissions. Routes declare the permission they need.
import { ROLES, type Role } from "../contracts/roles";

export { ROLES, type Role };
/** Roles an admin can give within a tenant; platform_admin is granted by platform admins only. */
export const TENANT_ROLES = ["admin", "writer", "reader"] as const;

export const PERMISSIONS = [
  "events:read",
  "events:write",
  "receivers:read",
  "receivers:write",
  "groups:read",
  "groups:write",
  "usage:read",
  "api_keys:admin",
  "principals:admin",
  "audit:read",
  "dlq:admin",
  "webhooks:admin",
  "metrics:read",
  "tenants:admin",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const READ: Permission[] = ["events:read", "receivers:read", "groups:read", "usage:read"];
const WRITE: Permission[] = [...READ, "events:write", "receivers:write", "groups:write"];
const ADMIN: Permission[] = [
  ...WRITE,
  "api_keys:admin",
  "principals:admin",
  "audit:read",
  "dlq:admin",
  "webhooks:admin",
  "metrics:read",
];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  reader: READ,
  writer: WRITE,
  admin: ADMIN,
  platform_admin: [...ADMIN, "tenants:admin"],
};

export function permissionsFor(roles: readonly string[]): Permission[] {
  const granted = new Set<Permission>();
  for (const role of roles)
    for (const permission of ROLE_PERMISSIONS[role as Role] ?? []) granted.add(permission);
  return PERMISSIONS.filter((permission) => granted.has(permission));
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

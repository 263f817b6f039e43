// Drizzle schema. Every table holding tenant data carries tenant_id; indexes lead with it.
export * from "./delivery";
export * from "./events";
export * from "./records";
export * from "./tenants";
export * from "./webhooks";

// The Workers runtime entry: wires the app and the cron jobs to the runtime, nothing more.
import { createApp } from "./app";
import type { Bindings } from "./contracts/bindings";
import { runScheduled } from "./jobs/scheduled";

export { MetricsHub } from "./durable/metrics-hub";
export { TenantGate } from "./durable/tenant-gate";

const app = createApp();

export default {
  fetch: app.fetch,
  scheduled: (controller, env, ctx) => ctx.waitUntil(runScheduled(env, new Date(controller.scheduledTime))),
} satisfies ExportedHandler<Bindings>;

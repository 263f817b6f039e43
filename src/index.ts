// The Workers runtime entry: wires the app to the runtime, nothing more.
import { createApp } from "./app";
import type { Bindings } from "./context";

export { TenantGate } from "./durable/tenant-gate";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;

// The tenant's TenantGate Durable Object, addressed by tenant id.
import type { TenantGateRpc } from "../contracts/gate";
import type { Config } from "../env";

export type Gate = DurableObjectStub<TenantGateRpc>;

export function gateFor(config: Config, tenantId: string): Gate {
  return config.TENANT_GATE.get(config.TENANT_GATE.idFromName(tenantId));
}

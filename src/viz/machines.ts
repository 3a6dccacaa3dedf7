// The production machines whose charts `mcpre viz`, docs/statecharts/ and the live view draw. Loaded lazily so the
// CLI starts fast.
import type { AnyStateMachine } from 'xstate';

export const MACHINE_LOADERS: Record<string, () => Promise<AnyStateMachine>> = {
  endpoint: async () => (await import('../machines/endpoint.ts')).endpointMachine,
  backendSession: async () => (await import('../machines/backend-session.ts')).backendSessionMachine,
  gatewayReplica: async () => (await import('../machines/gateway-replica.ts')).gatewayReplicaMachine,
  virtualMcpServer: async () => (await import('../machines/virtual-mcp-server.ts')).virtualMcpServerMachine,
};

export async function loadMachines(names = Object.keys(MACHINE_LOADERS)): Promise<Map<string, AnyStateMachine>> {
  const out = new Map<string, AnyStateMachine>();
  for (const name of names) {
    const load = MACHINE_LOADERS[name];
    if (!load) throw new Error(`unknown machine "${name}"; known: ${Object.keys(MACHINE_LOADERS).join(', ')}`);
    out.set(name, await load());
  }
  return out;
}

// One virtualMcpServer actor per VirtualMCPServer (the keyed registry in src/runtime/kube/actor-registry.ts: spawned
// on first sight, woken on every relevant change, stopped when gone, dropped and recreated after a failure).
import type { InspectionEvent } from 'xstate';
import { splitObjectKey } from '../../api/endpoint/references.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import type { VmcpSettings } from '../../api/vmcp/objects.ts';
import type { VirtualMcpServerMachine } from '../../machines/virtual-mcp-server.ts';
import type { RuntimeClock } from '../../runtime/clock.ts';
import { KeyedActorRegistry } from '../../runtime/kube/actor-registry.ts';

export interface VmcpRegistryOptions {
  machine: VirtualMcpServerMachine;
  settings: VmcpSettings;
  retry?: RetryPolicy;
  inspect?: (event: InspectionEvent) => void;
  onActorError?: (key: string, err: unknown) => void;
  /** The actors' clock (the manager's: the simulator's scheduler in `mcpre sim`). */
  clock?: RuntimeClock;
}

export class VmcpRegistry extends KeyedActorRegistry<VirtualMcpServerMachine> {
  constructor(opts: VmcpRegistryOptions) {
    super({
      machine: opts.machine,
      systemIdPrefix: 'virtualMcpServer',
      inputFor: (key) => ({ key: splitObjectKey(key), settings: opts.settings, retry: opts.retry }),
      inspect: opts.inspect,
      onActorError: opts.onActorError,
      clock: opts.clock,
    });
  }
}

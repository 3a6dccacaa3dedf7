// One virtualMcpServer actor per VirtualMCPServer: spawned on first sight, woken with LOOK_AGAIN on every relevant
// change, stopped when the informer reports the object gone. An actor that fails (a bug: API errors are handled in
// the chart) is dropped and recreated on the next wake-up, so one bad object never stops the others.
import { type Actor, type AnyActorLogic, createActor, type InspectionEvent } from 'xstate';
import { splitObjectKey } from '../../api/endpoint-references.ts';
import type { RetryPolicy } from '../../api/endpoint-retry.ts';
import type { VmcpSettings } from '../../api/vmcp-objects.ts';
import type { VirtualMcpServerMachine } from '../../machines/virtual-mcp-server.ts';

export interface VmcpRegistryOptions {
  machine: VirtualMcpServerMachine;
  settings: VmcpSettings;
  retry?: RetryPolicy;
  inspect?: (event: InspectionEvent) => void;
  onActorError?: (key: string, err: unknown) => void;
}

export class VmcpRegistry {
  private readonly actors = new Map<string, Actor<VirtualMcpServerMachine>>();
  private readonly opts: VmcpRegistryOptions;

  constructor(opts: VmcpRegistryOptions) {
    this.opts = opts;
  }

  wake(key: string): void {
    const actor = this.actors.get(key);
    if (actor) {
      actor.send({ type: 'LOOK_AGAIN' });
      return;
    }
    const created = createActor(this.opts.machine as AnyActorLogic as VirtualMcpServerMachine, {
      input: { key: splitObjectKey(key), settings: this.opts.settings, retry: this.opts.retry },
      systemId: `virtualMcpServer:${key}`,
      inspect: this.opts.inspect,
    });
    created.subscribe({
      error: (err) => {
        this.opts.onActorError?.(key, err);
        if (this.actors.get(key) === created) this.actors.delete(key);
      },
    });
    this.actors.set(key, created);
    created.start();
  }

  stop(key: string): void {
    const actor = this.actors.get(key);
    if (!actor) return;
    this.actors.delete(key);
    actor.stop();
  }

  stopAll(): void {
    for (const key of [...this.actors.keys()]) this.stop(key);
  }

  get(key: string): Actor<VirtualMcpServerMachine> | undefined {
    return this.actors.get(key);
  }

  get size(): number {
    return this.actors.size;
  }
}

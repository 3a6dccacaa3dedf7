// One endpoint actor per MCPRemoteEndpoint at work (the keyed registry in src/runtime/kube/actor-registry.ts: spawned
// on first sight, woken on every relevant change, stopped when gone, dropped and recreated after a failure). An
// endpoint at rest keeps no actor, only its key and resting state: the next wake-up starts a fresh one.
import type { InspectionEvent } from 'xstate';
import type { ProxySettings } from '../../api/endpoint/proxy-objects.ts';
import { splitObjectKey } from '../../api/endpoint/references.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import type { EndpointMachine } from '../../machines/endpoint.ts';
import type { RuntimeClock } from '../../runtime/clock.ts';
import { KeyedActorRegistry } from '../../runtime/kube/actor-registry.ts';

export interface RegistryOptions {
  machine: EndpointMachine;
  proxy: ProxySettings;
  retry?: RetryPolicy;
  inspect?: (event: InspectionEvent) => void;
  onActorError?: (key: string, err: unknown) => void;
  /** Told when an actor's top-level state changes (for logs): `state`, and the last API error when backing off. */
  onStateChange?: (key: string, state: string, lastError: string | null) => void;
  /** The actors' clock (the simulator's scheduler in `mcpre sim`; XState's default otherwise). */
  clock?: RuntimeClock;
  /** Endpoints reconciled at once, up to their status write (see KeyedActorRegistryOptions.maxBusy). */
  maxBusy?: number;
}

export class EndpointRegistry extends KeyedActorRegistry<EndpointMachine> {
  constructor(opts: RegistryOptions) {
    const { onStateChange } = opts;
    super({
      machine: opts.machine,
      systemIdPrefix: 'endpoint',
      inputFor: (key) => ({ key: splitObjectKey(key), proxy: opts.proxy, retry: opts.retry }),
      inspect: opts.inspect,
      onActorError: opts.onActorError,
      onStateChange: onStateChange && ((key, state, snapshot) => onStateChange(key, state, snapshot.context.lastError)),
      clock: opts.clock,
      maxBusy: opts.maxBusy,
      stopAtRest: true,
    });
  }
}

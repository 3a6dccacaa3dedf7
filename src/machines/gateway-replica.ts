// The gateway replica as a state chart: the RFC's single-replica constraint for direct backends, enforced rather than
// documented. Replicas compete for a coordination.k8s.io Lease; only the holder is `active` (tag `serving`): it opens
// direct-backend sessions and reports ready. The others stay on `standby` and retry every retry period, taking over
// once the holder's Lease lapses or is released.
//
//   standby.trying -> (held) active.holding.waiting <-> active.holding.renewing
//   standby.trying -> (not held) standby.waiting -> standby.trying
//   active: no successful renewal for renewDeadline -> standby (stop serving before another replica may take over)
//   STOP -> releasing (only if active) -> stopped
//
// Effects are the named actors `tryLease` and `releaseLease` (src/actors/lease); time comes from the actor clock only.
import { assign, fromPromise, setup } from 'xstate';

/** What this replica last saw of the Lease; opaque to the chart, handed back to `tryLease` on the next attempt. */
export interface LeaseObservation {
  holder: string | undefined;
  renewTime: string | undefined;
  durationSeconds: number;
  transitions: number;
  resourceVersion: string | undefined;
  /** The replica's own clock (ms) when the record was last seen to change. */
  observedAtMs: number;
}

export interface LeaseTarget {
  identity: string;
  namespace: string;
  name: string;
  durationSeconds: number;
}

export interface TryLeaseInput extends LeaseTarget {
  observed: LeaseObservation | null;
}

export interface TryLeaseOutput {
  held: boolean;
  observed: LeaseObservation | null;
  /** Who holds the Lease when this replica does not (undefined when unknown). */
  holder: string | undefined;
}

export interface GatewayReplicaInput {
  identity: string;
  namespace: string;
  leaseName: string;
  durationSeconds: number;
  /** Stop serving when the Lease could not be renewed for this long; must be shorter than the duration. */
  renewDeadlineSeconds: number;
  /** Wait between attempts, both to acquire and to renew. */
  retryPeriodSeconds: number;
}

export interface GatewayReplicaContext extends GatewayReplicaInput {
  observed: LeaseObservation | null;
  holder: string | undefined;
  lastError: string | null;
  /** How many times this replica became active. */
  activations: number;
}

export type GatewayReplicaEvent = { type: 'STOP' };

function notProvided(name: string) {
  return async (): Promise<never> => {
    throw new Error(`gatewayReplica machine: actor "${name}" was not provided`);
  };
}

const target = (c: GatewayReplicaContext): LeaseTarget => ({
  identity: c.identity,
  namespace: c.namespace,
  name: c.leaseName,
  durationSeconds: c.durationSeconds,
});

const errorText = (event: unknown): string => {
  const error = (event as { error?: unknown }).error;
  return error instanceof Error ? error.message : String(error);
};

export const gatewayReplicaMachine = setup({
  types: {} as { context: GatewayReplicaContext; events: GatewayReplicaEvent; input: GatewayReplicaInput },
  actors: {
    tryLease: fromPromise<TryLeaseOutput, TryLeaseInput>(notProvided('tryLease')),
    releaseLease: fromPromise<void, LeaseTarget>(notProvided('releaseLease')),
  },
  guards: {
    held: (_, output: TryLeaseOutput) => output.held,
  },
  actions: {
    adopt: assign((_, output: TryLeaseOutput) => ({
      observed: output.observed,
      holder: output.holder,
      lastError: null,
    })),
    recordError: assign((_, error: string) => ({ lastError: error })),
    countActivation: assign(({ context }) => ({ activations: context.activations + 1 })),
  },
  delays: {
    retryPeriod: ({ context }) => context.retryPeriodSeconds * 1000,
    renewDeadline: ({ context }) => context.renewDeadlineSeconds * 1000,
  },
}).createMachine({
  id: 'gatewayReplica',
  initial: 'standby',
  context: ({ input }) => ({ ...input, observed: null, holder: undefined, lastError: null, activations: 0 }),
  states: {
    standby: {
      id: 'standby',
      initial: 'trying',
      on: { STOP: '#stopped' },
      states: {
        trying: {
          invoke: {
            id: 'tryLease',
            src: 'tryLease',
            input: ({ context }) => ({ ...target(context), observed: context.observed }),
            onDone: [
              {
                guard: { type: 'held', params: ({ event }) => event.output },
                target: '#active',
                actions: { type: 'adopt', params: ({ event }) => event.output },
              },
              { target: 'waiting', actions: { type: 'adopt', params: ({ event }) => event.output } },
            ],
            onError: { target: 'waiting', actions: { type: 'recordError', params: ({ event }) => errorText(event) } },
          },
        },
        waiting: { after: { retryPeriod: 'trying' } },
      },
    },
    active: {
      id: 'active',
      tags: ['serving'],
      entry: 'countActivation',
      initial: 'holding',
      on: { STOP: '#releasing' },
      states: {
        // Re-entered on every successful renewal, which restarts the renew deadline.
        holding: {
          after: { renewDeadline: '#standby' },
          initial: 'waiting',
          states: {
            waiting: { after: { retryPeriod: 'renewing' } },
            renewing: {
              invoke: {
                id: 'renewLease',
                src: 'tryLease',
                input: ({ context }) => ({ ...target(context), observed: context.observed }),
                onDone: [
                  {
                    guard: { type: 'held', params: ({ event }) => event.output },
                    target: '#active.holding',
                    reenter: true,
                    actions: { type: 'adopt', params: ({ event }) => event.output },
                  },
                  // Someone else holds it now: stop serving at once.
                  { target: '#standby', actions: { type: 'adopt', params: ({ event }) => event.output } },
                ],
                onError: {
                  target: 'retrying',
                  actions: { type: 'recordError', params: ({ event }) => errorText(event) },
                },
              },
            },
            retrying: { after: { retryPeriod: 'renewing' } },
          },
        },
      },
    },
    releasing: {
      id: 'releasing',
      invoke: {
        id: 'releaseLease',
        src: 'releaseLease',
        input: ({ context }) => target(context),
        onDone: '#stopped',
        onError: { target: '#stopped', actions: { type: 'recordError', params: ({ event }) => errorText(event) } },
      },
    },
    stopped: { id: 'stopped', type: 'final' },
  },
});

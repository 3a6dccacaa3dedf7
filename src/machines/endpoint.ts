// The endpoint reconciler as a state chart: one actor per MCPRemoteEndpoint. Level-triggered: every wake-up
// (LOOK_AGAIN) re-reads the object and everything it references through the `observe` actor, and the chart decides
// from that snapshot alone. Effects are named actors (real ones in src/actors/kube, fakes in tests and the simulator);
// decisions are pure functions in src/api; time comes only from the actor clock (the retry delay).
//
//   pending -> validating -> ready                                  (direct)
//   pending -> validating -> provisioning -> awaitingDeployment -> ready    (proxy)
//   validating -> failed (reason in the conditions);  deleted proxy -> terminating -> released
import { assign, fromPromise, setup } from 'xstate';
import { finalizersWith, finalizersWithout, hasFinalizer, planProxy, teardownRefs } from '../api/endpoint/decision.ts';
import type { Endpoint } from '../api/endpoint/model.ts';
import { errorMessage } from '../api/endpoint/retry.ts';
import type { EndpointSnapshot } from '../api/endpoint/snapshot.ts';
import type { StatusPlan } from '../api/endpoint/status.ts';
import { validateEndpoint } from '../api/endpoint/validation.ts';
import {
  type ApplyProxyInput,
  current,
  type DeleteOwnedInput,
  deploymentOf,
  type EndpointContext,
  type EndpointEventIn,
  type EndpointInput,
  emptyValidation,
  finalizerWrite,
  type ObserveInput,
  observeKey,
  pendingEvents,
  type RecordEventsInput,
  routeOf,
  type SetFinalizersInput,
  type WriteStatusInput,
  withOutcome,
} from './endpoint-context.ts';
import {
  awaitingWakeUp,
  errorOf,
  initialRetryBookkeeping,
  notProvided,
  retryDelays,
  retryGuards,
  retryUpdates,
  statusWrite,
  writeFailureTransitions,
} from './reconcile-retry.ts';

const endpointSetup = setup({
  types: {} as {
    context: EndpointContext;
    events: EndpointEventIn;
    input: EndpointInput;
    /**
     * `quiet`: nothing in flight, waiting for a wake-up or a timer (a clean point to stop the actor).
     * `bestEffort`: only best-effort work left in this pass (recording Events): the decision is published.
     * `settled`: quiet, with no timer and nothing in the context that a fresh actor would not have (the retry
     * bookkeeping is reset and the snapshot forgotten): the runtime may stop the actor and start a new one on the
     * next wake-up.
     */
    tags: 'quiet' | 'bestEffort' | 'settled';
  },
  actors: {
    observe: fromPromise<EndpointSnapshot, ObserveInput>(notProvided('endpoint', 'observe')),
    writeStatus: fromPromise<Endpoint | null, WriteStatusInput>(notProvided('endpoint', 'writeStatus')),
    setFinalizers: fromPromise<Endpoint | null, SetFinalizersInput>(notProvided('endpoint', 'setFinalizers')),
    applyProxy: fromPromise<void, ApplyProxyInput>(notProvided('endpoint', 'applyProxy')),
    deleteOwned: fromPromise<void, DeleteOwnedInput>(notProvided('endpoint', 'deleteOwned')),
    recordEvents: fromPromise<void, RecordEventsInput>(notProvided('endpoint', 'recordEvents')),
  },
  guards: {
    ...retryGuards,
    isGone: ({ context }) => routeOf(context) === 'gone',
    isReleased: ({ context }) => routeOf(context) === 'released',
    isTerminating: ({ context }) => routeOf(context) === 'terminate',
    isInvalid: ({ context }) => routeOf(context) === 'invalid',
    isDirect: ({ context }) => routeOf(context) === 'direct',
    hasFinalizer: ({ context }) => hasFinalizer(current(context)),
    proxyPlanEmpty: ({ context }) => !context.proxyPlan?.apply.length && !context.proxyPlan?.remove.length,
    deploymentReady: ({ context }) => deploymentOf(context).state === 'ready',
    deploymentFailed: ({ context }) => deploymentOf(context).state === 'failed',
    statusUnchanged: ({ context }) => !context.plan?.changed,
    hasEvents: ({ context }) => pendingEvents(context).length > 0,
  },
  actions: {
    markClean: assign(retryUpdates.markClean()),
    markDirty: assign(retryUpdates.markDirty()),
    adoptSnapshot: assign((_, snapshot: EndpointSnapshot) => ({
      snapshot,
      fresh: false,
      validation: snapshot.endpoint ? validateEndpoint(snapshot) : null,
    })),
    // A write returned the object as stored: later writes in this pass carry its new resourceVersion.
    adoptWritten: assign(({ context }, written: Endpoint | null) =>
      written && context.snapshot ? { snapshot: { ...context.snapshot, endpoint: written } } : {},
    ),
    succeeded: assign(retryUpdates.succeeded()),
    conflicted: assign((args) => retryUpdates.conflicted(args)),
    failedAttempt: assign((args) => retryUpdates.failedAttempt(args)),
    decideInvalid: assign(({ context }) =>
      withOutcome(context, {
        kind: 'invalid',
        validation: context.validation ?? emptyValidation,
        deployment:
          current(context).spec.type === 'proxy' && context.snapshot?.owned.deployment
            ? deploymentOf(context)
            : undefined,
      }),
    ),
    decideDirect: assign(({ context }) =>
      withOutcome(context, { kind: 'direct', validation: context.validation ?? emptyValidation }),
    ),
    decideProxy: assign(({ context }) =>
      withOutcome(context, {
        kind: 'proxy',
        validation: context.validation ?? emptyValidation,
        deployment: deploymentOf(context),
      }),
    ),
    decideProvisionFailed: assign(({ context, event }) =>
      withOutcome(context, {
        kind: 'provisionFailed',
        validation: context.validation ?? emptyValidation,
        error: {
          reason: 'ProvisioningFailed',
          message: `the API server rejected the proxy objects: ${errorMessage(errorOf(event))}; check spec.proxyConfig (resourceOverrides, resources)`,
        },
      }),
    ),
    decideTerminating: assign(({ context }) =>
      withOutcome(context, { kind: 'terminating', validation: context.validation ?? emptyValidation }),
    ),
    // A resting actor keeps only its key and retry bookkeeping: the next wake-up observes afresh anyway, and holding
    // the last snapshot would pin old copies of the endpoint and of everything it references.
    forget: assign({ snapshot: null, validation: null, outcome: null, plan: null, proxyPlan: null }),
    planProxy: assign(({ context }) => ({
      proxyPlan: context.snapshot ? planProxy(context.snapshot, context.proxy) : null,
    })),
  },
  delays: retryDelays,
});

/**
 * Publishes the status (only when it changed), then announces its events; `next` is the sibling state to go to.
 * 409 and 404 send the actor back to look again from fresh state; other failures back off.
 */
function publishState(next: string) {
  return endpointSetup.createStateConfig({
    initial: 'checking',
    states: {
      checking: {
        always: [{ guard: 'statusUnchanged', target: 'done', actions: 'succeeded' }, { target: 'writing' }],
      },
      writing: {
        invoke: statusWrite(
          'endpoint',
          ({ context }: { context: EndpointContext }) => ({
            key: context.key,
            resourceVersion: context.snapshot?.endpoint?.metadata.resourceVersion,
            status: (context.plan as StatusPlan).status,
          }),
          'announcing',
        ),
      },
      announcing: {
        always: [{ guard: 'hasEvents', target: 'recording' }, { target: 'done' }],
      },
      // Events are best effort: a failure to record one never blocks the reconcile.
      recording: {
        tags: ['bestEffort'],
        invoke: {
          id: 'recordEvents',
          src: 'recordEvents',
          input: ({ context }) => ({
            endpoint: {
              namespace: context.key.namespace,
              name: context.key.name,
              uid: context.snapshot?.endpoint?.metadata.uid,
              resourceVersion: context.snapshot?.endpoint?.metadata.resourceVersion,
            },
            events: pendingEvents(context),
          }),
          onDone: { target: 'done' },
          onError: { target: 'done' },
        },
      },
      done: { type: 'final' },
    },
    onDone: { target: next },
  });
}

/** Reads the object and everything it references, then validates; the first look and every later one. */
function observeState() {
  return endpointSetup.createStateConfig({
    entry: 'markClean',
    invoke: {
      id: 'observe',
      src: 'observe',
      input: ({ context }) => observeKey(context),
      onDone: { target: 'validating', actions: { type: 'adoptSnapshot', params: ({ event }) => event.output } },
      onError: { target: 'backoff', actions: 'failedAttempt' },
    },
  });
}

/** A state that publishes its status, then waits for the next wake-up. */
function restingState() {
  return endpointSetup.createStateConfig({
    initial: 'publishing',
    states: {
      publishing: publishState('idle'),
      idle: { tags: ['quiet', 'settled'], entry: 'forget', ...awaitingWakeUp('#endpoint.observing') },
    },
  });
}

export const endpointMachine = endpointSetup.createMachine({
  id: 'endpoint',
  initial: 'pending',
  context: ({ input }) => ({
    key: input.key,
    proxy: input.proxy,
    ...initialRetryBookkeeping(input),
    snapshot: null,
    validation: null,
    outcome: null,
    plan: null,
    proxyPlan: null,
  }),
  // A wake-up while busy is remembered; idle states below handle it at once.
  on: { LOOK_AGAIN: { actions: 'markDirty' } },
  states: {
    // Not looked at yet: the first observation.
    pending: observeState(),
    // Every later look: the same observation, from any resting state.
    observing: observeState(),
    validating: {
      always: [
        { guard: 'isGone', target: 'gone' },
        { guard: 'isReleased', target: 'released' },
        { guard: 'isTerminating', target: 'terminating' },
        { guard: 'isInvalid', target: 'failed', actions: 'decideInvalid' },
        { guard: 'isDirect', target: 'ready', actions: 'decideDirect' },
        { target: 'provisioning' },
      ],
    },
    provisioning: {
      initial: 'checkingFinalizer',
      states: {
        checkingFinalizer: {
          always: [{ guard: 'hasFinalizer', target: 'planning' }, { target: 'addingFinalizer' }],
        },
        // The finalizer goes on before anything is created, so nothing can be orphaned by a delete.
        addingFinalizer: {
          invoke: {
            id: 'setFinalizers',
            src: 'setFinalizers',
            input: ({ context }) => finalizerWrite(context, finalizersWith),
            onDone: { target: 'planning', actions: { type: 'adoptWritten', params: ({ event }) => event.output } },
            onError: writeFailureTransitions('endpoint'),
          },
        },
        planning: {
          entry: 'planProxy',
          always: [{ guard: 'proxyPlanEmpty', target: 'provisioned' }, { target: 'applying' }],
        },
        applying: {
          invoke: {
            id: 'applyProxy',
            src: 'applyProxy',
            input: ({ context }) => ({
              key: context.key,
              apply: context.proxyPlan?.apply ?? [],
              remove: context.proxyPlan?.remove ?? [],
            }),
            onDone: { target: 'provisioned' },
            onError: [
              {
                guard: 'isRejected',
                target: '#endpoint.failed',
                actions: 'decideProvisionFailed',
              },
              { target: '#endpoint.backoff', actions: 'failedAttempt' },
            ],
          },
        },
        provisioned: { type: 'final' },
      },
      onDone: [
        { guard: 'deploymentReady', target: 'ready', actions: 'decideProxy' },
        { guard: 'deploymentFailed', target: 'failed', actions: 'decideProxy' },
        { target: 'awaitingDeployment', actions: 'decideProxy' },
      ],
    },
    awaitingDeployment: restingState(),
    ready: restingState(),
    failed: restingState(),
    terminating: {
      entry: 'decideTerminating',
      initial: 'publishing',
      states: {
        publishing: publishState('removing'),
        removing: {
          invoke: {
            id: 'deleteOwned',
            src: 'deleteOwned',
            input: ({ context }) => ({ key: context.key, refs: teardownRefs(current(context)) }),
            onDone: { target: 'releasing' },
            onError: { target: '#endpoint.backoff', actions: 'failedAttempt' },
          },
        },
        releasing: {
          invoke: {
            id: 'setFinalizers',
            src: 'setFinalizers',
            input: ({ context }) => finalizerWrite(context, finalizersWithout),
            onDone: {
              target: '#endpoint.released',
              actions: [{ type: 'adoptWritten', params: ({ event }) => event.output }, 'succeeded'],
            },
            onError: [
              { guard: 'isConflict', target: '#endpoint.observing', actions: 'conflicted' },
              { guard: 'isNotFound', target: '#endpoint.gone' },
              { target: '#endpoint.backoff', actions: 'failedAttempt' },
            ],
          },
        },
      },
    },
    // Deleting, and the operator's finalizer is gone: nothing left to do until the object disappears.
    released: { tags: ['quiet', 'settled'], entry: 'forget', ...awaitingWakeUp('observing') },
    // The object does not exist (the runtime stops this actor when its informer sees the delete).
    gone: { tags: ['quiet', 'settled'], entry: 'forget', ...awaitingWakeUp('observing') },
    // An API call failed (throttled, 5xx, network): wait, then look again from the start.
    backoff: {
      tags: ['quiet'],
      after: { retryDelay: 'observing' },
    },
  },
});

export type EndpointMachine = typeof endpointMachine;

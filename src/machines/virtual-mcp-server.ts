// The VirtualMCPServer reconciler as a state chart: one actor per VirtualMCPServer. Level-triggered like the
// endpoint chart: every wake-up (LOOK_AGAIN) re-reads the object, its group, the group's endpoints and everything they
// reference through `observe`, and the chart decides from that snapshot alone (src/api/vmcp/decision.ts). Effects are
// named actors (src/actors/kube/vmcp-*.ts in production, fakes in tests); time comes only from the actor clock.
//
//   observing -> deciding -> applying -> rolledOut -> awaitingDeployment | ready | failed
//   deciding -> failed (group missing, config the gateway would refuse);  deciding -> gone (deleted)
import { assign, fromPromise, setup } from 'xstate';
import { assessDeployment, type DeploymentAssessment } from '../api/endpoint/deployment.ts';
import type { Deployment, KubeObject } from '../api/endpoint/model.ts';
import { errorMessage, type RetryPolicy } from '../api/endpoint/retry.ts';
import { planVmcp, type VmcpPlan } from '../api/vmcp/decision.ts';
import type { VirtualMCPServer } from '../api/vmcp/model.ts';
import { vmcpNames } from '../api/vmcp/names.ts';
import type { VmcpManifest, VmcpSettings } from '../api/vmcp/objects.ts';
import type { VmcpSnapshot } from '../api/vmcp/snapshot.ts';
import { desiredVmcpStatus, planVmcpStatus, type VmcpOutcome, type VmcpStatusPlan } from '../api/vmcp/status.ts';
import {
  awaitingWakeUp,
  errorOf,
  initialRetryBookkeeping,
  notProvided,
  type RetryBookkeeping,
  retryDelays,
  retryGuards,
  retryUpdates,
  statusWrite,
} from './reconcile-retry.ts';

export interface VmcpKey {
  namespace: string;
  name: string;
}

export interface VmcpInput {
  key: VmcpKey;
  settings: VmcpSettings;
  retry?: RetryPolicy;
  /** After this many 409s in a row, back off instead of looking again at once. */
  maxConflicts?: number;
}

export interface VmcpContext extends RetryBookkeeping {
  key: VmcpKey;
  settings: VmcpSettings;
  snapshot: VmcpSnapshot | null;
  plan: VmcpPlan | null;
  outcome: VmcpOutcome | null;
  statusPlan: VmcpStatusPlan | null;
}

export type VmcpEventIn = { type: 'LOOK_AGAIN' };

export interface VmcpObserveInput {
  key: VmcpKey;
  fresh: boolean;
}
export interface VmcpApplyInput {
  key: VmcpKey;
  apply: VmcpManifest[];
}
export interface VmcpWriteStatusInput {
  key: VmcpKey;
  resourceVersion: string | undefined;
  status: VmcpStatusPlan['status'];
}

const current = (context: VmcpContext): VirtualMCPServer => {
  const vmcp = context.snapshot?.vmcp;
  if (!vmcp) throw new Error('virtualMcpServer machine: no VirtualMCPServer in snapshot');
  return vmcp;
};

const deploymentOf = (context: VmcpContext): DeploymentAssessment =>
  assessDeployment((context.snapshot?.owned.Deployment as Deployment | null) ?? null, vmcpNames(context.key.name).name);

const withOutcome = (context: VmcpContext, outcome: VmcpOutcome) => {
  const vmcp = current(context);
  return {
    outcome,
    statusPlan: planVmcpStatus(vmcp, desiredVmcpStatus(vmcp, outcome), context.snapshot?.now ?? ''),
  };
};

const planKind = (context: VmcpContext) => context.plan?.kind;

const vmcpSetup = setup({
  types: {} as {
    context: VmcpContext;
    events: VmcpEventIn;
    input: VmcpInput;
    /**
     * `quiet`: nothing in flight, waiting for a wake-up or a retry timer; the manager's drain on stop waits for no
     * more than this. No `settled`: the controller keeps every VirtualMCPServer's actor (no `stopAtRest`).
     */
    tags: 'quiet';
  },
  actors: {
    observe: fromPromise<VmcpSnapshot, VmcpObserveInput>(notProvided('virtualMcpServer', 'observe')),
    applyObjects: fromPromise<KubeObject[], VmcpApplyInput>(notProvided('virtualMcpServer', 'applyObjects')),
    writeStatus: fromPromise<VirtualMCPServer | null, VmcpWriteStatusInput>(
      notProvided('virtualMcpServer', 'writeStatus'),
    ),
  },
  guards: {
    ...retryGuards,
    isGone: ({ context }) => planKind(context) === 'gone',
    isBroken: ({ context }) => planKind(context) === 'groupMissing' || planKind(context) === 'invalid',
    nothingToApply: ({ context }) => context.plan?.kind === 'apply' && context.plan.apply.length === 0,
    deploymentReady: ({ context }) => deploymentOf(context).state === 'ready',
    deploymentFailed: ({ context }) => deploymentOf(context).state === 'failed',
    statusUnchanged: ({ context }) => !context.statusPlan?.changed,
  },
  actions: {
    markClean: assign(retryUpdates.markClean()),
    markDirty: assign(retryUpdates.markDirty()),
    adoptSnapshot: assign(({ context }, snapshot: VmcpSnapshot) => ({
      snapshot,
      fresh: false,
      plan: planVmcp(snapshot, context.settings),
    })),
    // SSA answers with the objects as stored: the Deployment's new generation makes the rollout read as pending
    // at once, instead of the cached pre-apply copy reading as ready.
    adoptApplied: assign(({ context }, written: KubeObject[]) => {
      if (!context.snapshot) return {};
      const owned = { ...context.snapshot.owned };
      for (const obj of written) {
        const kind = obj.kind as keyof typeof owned | undefined;
        if (kind && kind in owned) owned[kind] = obj;
      }
      return { snapshot: { ...context.snapshot, owned } };
    }),
    adoptWritten: assign(({ context }, written: VirtualMCPServer | null) =>
      written && context.snapshot ? { snapshot: { ...context.snapshot, vmcp: written } } : {},
    ),
    succeeded: assign(retryUpdates.succeeded()),
    conflicted: assign((args) => retryUpdates.conflicted(args)),
    failedAttempt: assign((args) => retryUpdates.failedAttempt(args)),
    decideBroken: assign(({ context }) => {
      const plan = context.plan;
      if (plan?.kind === 'invalid') {
        return withOutcome(context, {
          kind: 'invalidConfig',
          reason: plan.reason,
          message: plan.message,
          replicas: plan.replicas.condition,
          backends: plan.backends,
        });
      }
      return withOutcome(context, { kind: 'groupMissing' });
    }),
    decideDeployed: assign(({ context }) => {
      const plan = context.plan;
      if (plan?.kind !== 'apply') return {};
      return withOutcome(context, {
        kind: 'deployed',
        mode: plan.rendered.mode,
        deployment: deploymentOf(context),
        replicas: plan.replicas.condition,
        backends: plan.backends,
      });
    }),
    decideProvisionFailed: assign(({ context, event }) => {
      const plan = context.plan;
      if (plan?.kind !== 'apply') return {};
      return withOutcome(context, {
        kind: 'provisionFailed',
        message: `${errorMessage(errorOf(event))}; check spec.resources, spec.image and spec.serviceType`,
        replicas: plan.replicas.condition,
        backends: plan.backends,
      });
    }),
  },
  delays: retryDelays,
});

/** A state that publishes the status (only when it changed), then waits for the next wake-up. */
function restingState() {
  return vmcpSetup.createStateConfig({
    initial: 'publishing',
    states: {
      publishing: {
        always: [{ guard: 'statusUnchanged', target: 'idle' }, { target: 'writing' }],
      },
      writing: {
        invoke: statusWrite(
          'virtualMcpServer',
          ({ context }: { context: VmcpContext }) => ({
            key: context.key,
            resourceVersion: context.snapshot?.vmcp?.metadata.resourceVersion,
            status: (context.statusPlan as VmcpStatusPlan).status,
          }),
          'idle',
        ),
      },
      idle: { tags: ['quiet'], ...awaitingWakeUp('#virtualMcpServer.observing') },
    },
  });
}

export const virtualMcpServerMachine = vmcpSetup.createMachine({
  id: 'virtualMcpServer',
  initial: 'observing',
  context: ({ input }) => ({
    key: input.key,
    settings: input.settings,
    ...initialRetryBookkeeping(input),
    snapshot: null,
    plan: null,
    outcome: null,
    statusPlan: null,
  }),
  // A wake-up while busy is remembered; the resting states handle it at once.
  on: { LOOK_AGAIN: { actions: 'markDirty' } },
  states: {
    observing: {
      entry: 'markClean',
      invoke: {
        id: 'observe',
        src: 'observe',
        input: ({ context }) => ({ key: context.key, fresh: context.fresh }),
        onDone: { target: 'deciding', actions: { type: 'adoptSnapshot', params: ({ event }) => event.output } },
        onError: { target: 'backoff', actions: 'failedAttempt' },
      },
    },
    deciding: {
      always: [
        { guard: 'isGone', target: 'gone' },
        { guard: 'isBroken', target: 'failed', actions: 'decideBroken' },
        { guard: 'nothingToApply', target: 'rolledOut' },
        { target: 'applying' },
      ],
    },
    applying: {
      invoke: {
        id: 'applyObjects',
        src: 'applyObjects',
        input: ({ context }) => ({
          key: context.key,
          apply: context.plan?.kind === 'apply' ? context.plan.apply : [],
        }),
        onDone: {
          target: 'rolledOut',
          actions: [{ type: 'adoptApplied', params: ({ event }) => event.output }, 'succeeded'],
        },
        onError: [
          { guard: 'isRejected', target: 'failed', actions: 'decideProvisionFailed' },
          { target: 'backoff', actions: 'failedAttempt' },
        ],
      },
    },
    // Everything the gateway needs is applied: its readiness is the Deployment's.
    rolledOut: {
      always: [
        { guard: 'deploymentReady', target: 'ready', actions: 'decideDeployed' },
        { guard: 'deploymentFailed', target: 'failed', actions: 'decideDeployed' },
        { target: 'awaitingDeployment', actions: 'decideDeployed' },
      ],
    },
    awaitingDeployment: restingState(),
    ready: restingState(),
    failed: restingState(),
    // Deleted: owner references let the garbage collector remove the gateway's objects; nothing to do here.
    gone: { tags: ['quiet'], ...awaitingWakeUp('observing') },
    // An API call failed (throttled, 5xx, network): wait, then look again from the start.
    backoff: {
      tags: ['quiet'],
      after: { retryDelay: 'observing' },
    },
  },
});

export type VirtualMcpServerMachine = typeof virtualMcpServerMachine;

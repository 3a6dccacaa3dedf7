// What the endpoint chart holds and hands its effects (context, input, the effect actors' inputs), and the pure
// readings of that context its guards and actions share. The chart itself, states and transitions, is endpoint.ts.
import { type ProxyPlan, route } from '../api/endpoint/decision.ts';
import { assessDeployment } from '../api/endpoint/deployment.ts';
import { type EndpointEvent, eventsForTransition } from '../api/endpoint/events.ts';
import type { Endpoint } from '../api/endpoint/model.ts';
import { proxyNames } from '../api/endpoint/proxy-names.ts';
import type { Manifest, OwnedObjectRef, ProxySettings } from '../api/endpoint/proxy-objects.ts';
import type { RetryPolicy } from '../api/endpoint/retry.ts';
import { type EndpointSnapshot, emptySnapshot } from '../api/endpoint/snapshot.ts';
import { desiredStatus, type Outcome, planStatus, type StatusPlan } from '../api/endpoint/status.ts';
import type { Validation } from '../api/endpoint/validation.ts';
import type { RetryBookkeeping } from './reconcile-retry.ts';

export interface EndpointKey {
  namespace: string;
  name: string;
}

export interface EndpointInput {
  key: EndpointKey;
  proxy: ProxySettings;
  retry?: RetryPolicy;
  /** After this many 409s in a row, back off instead of retrying at once. */
  maxConflicts?: number;
}

export interface EndpointContext extends RetryBookkeeping {
  key: EndpointKey;
  proxy: ProxySettings;
  snapshot: EndpointSnapshot | null;
  validation: Validation | null;
  outcome: Outcome | null;
  plan: StatusPlan | null;
  proxyPlan: ProxyPlan | null;
}

export type EndpointEventIn = { type: 'LOOK_AGAIN' };

// Inputs of the effect actors: plain data, so a simulator can log and replay them.
export interface ObserveInput {
  key: EndpointKey;
  fresh: boolean;
}
export interface WriteStatusInput {
  key: EndpointKey;
  resourceVersion: string | undefined;
  status: StatusPlan['status'];
}
export interface SetFinalizersInput {
  key: EndpointKey;
  resourceVersion: string | undefined;
  finalizers: string[];
}
export interface ApplyProxyInput {
  key: EndpointKey;
  apply: Manifest[];
  remove: OwnedObjectRef[];
}
export interface DeleteOwnedInput {
  key: EndpointKey;
  refs: OwnedObjectRef[];
}
export interface RecordEventsInput {
  endpoint: { namespace: string; name: string; uid: string | undefined; resourceVersion: string | undefined };
  events: EndpointEvent[];
}

export const observeKey = (context: EndpointContext): ObserveInput => ({ key: context.key, fresh: context.fresh });
export const current = (context: EndpointContext): Endpoint => {
  const endpoint = context.snapshot?.endpoint;
  if (!endpoint) throw new Error('endpoint machine: no endpoint in snapshot');
  return endpoint;
};
/** A finalizer write: the operator's finalizer put on (finalizersWith) or taken off (finalizersWithout). */
export const finalizerWrite = (
  context: EndpointContext,
  finalizers: (endpoint: Endpoint) => string[],
): SetFinalizersInput => ({
  key: context.key,
  resourceVersion: current(context).metadata.resourceVersion,
  finalizers: finalizers(current(context)),
});
export const withOutcome = (context: EndpointContext, outcome: Outcome) => {
  const endpoint = current(context);
  return {
    outcome,
    plan: planStatus(endpoint, desiredStatus(endpoint, outcome), context.snapshot?.now ?? ''),
  };
};
export const deploymentOf = (context: EndpointContext) =>
  assessDeployment(context.snapshot?.owned.deployment ?? null, proxyNames(context.key.name).name);

/** Where the snapshot sends the reconcile (see route in api/endpoint/decision.ts). */
export const routeOf = (context: EndpointContext) => route(context.snapshot ?? emptyRoute, context.validation);

export function pendingEvents(context: EndpointContext): EndpointEvent[] {
  return context.plan ? eventsForTransition(context.plan.previous, context.plan.status.conditions) : [];
}

export const emptyValidation: Validation = { conditions: [], failures: [], valid: false };
const emptyRoute = emptySnapshot('');

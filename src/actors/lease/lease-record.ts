// The Lease protocol as pure decisions (the effect actors only read and write). It follows client-go's leader
// election: a replica judges another holder's Lease expired by *its own* clock, counting from when it last saw the
// record change, never by comparing the holder's renewTime with its own wall clock (clocks between nodes drift).

import type { LeaseObservation } from '../../machines/gateway-replica.ts';

/** The parts of a coordination.k8s.io/v1 Lease this protocol reads and writes. */
export interface LeaseObject {
  apiVersion?: 'coordination.k8s.io/v1';
  kind?: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export type LeaseDecision =
  | { action: 'create'; body: LeaseObject }
  | { action: 'update'; body: LeaseObject }
  | { action: 'wait'; observed: LeaseObservation };

export interface DecideInput {
  identity: string;
  namespace: string;
  name: string;
  durationSeconds: number;
  /** The Lease as read just now; undefined when it does not exist. */
  current: LeaseObject | undefined;
  previous: LeaseObservation | null;
  nowMs: number;
  /** `nowMs` as a Kubernetes MicroTime string. */
  nowMicroTime: string;
}

export function observe(current: LeaseObject, previous: LeaseObservation | null, nowMs: number): LeaseObservation {
  const spec = current.spec ?? {};
  const holder = spec.holderIdentity || undefined;
  const renewTime = spec.renewTime ?? undefined;
  const unchanged =
    previous !== null &&
    previous.holder === holder &&
    previous.renewTime === renewTime &&
    previous.resourceVersion === current.metadata.resourceVersion;
  return {
    holder,
    renewTime,
    durationSeconds: spec.leaseDurationSeconds ?? 15,
    transitions: spec.leaseTransitions ?? 0,
    resourceVersion: current.metadata.resourceVersion,
    observedAtMs: unchanged ? previous.observedAtMs : nowMs,
  };
}

export function decide(input: DecideInput): LeaseDecision {
  const { identity, current, nowMs, nowMicroTime } = input;
  if (!current) {
    return {
      action: 'create',
      body: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: input.name, namespace: input.namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: input.durationSeconds,
          acquireTime: nowMicroTime,
          renewTime: nowMicroTime,
          leaseTransitions: 0,
        },
      },
    };
  }
  const observed = observe(current, input.previous, nowMs);
  const ours = observed.holder === identity;
  const expired = observed.observedAtMs + observed.durationSeconds * 1000 <= nowMs;
  if (observed.holder !== undefined && !ours && !expired) return { action: 'wait', observed };
  return {
    action: 'update',
    body: {
      ...current,
      metadata: { ...current.metadata },
      spec: {
        ...current.spec,
        holderIdentity: identity,
        leaseDurationSeconds: input.durationSeconds,
        acquireTime: ours ? (current.spec?.acquireTime ?? nowMicroTime) : nowMicroTime,
        renewTime: nowMicroTime,
        leaseTransitions: ours ? observed.transitions : observed.transitions + 1,
      },
    },
  };
}

/** The body that gives the Lease up at once: no holder, so the next replica need not wait for it to expire. */
export function released(current: LeaseObject, nowMicroTime: string): LeaseObject {
  return {
    ...current,
    metadata: { ...current.metadata },
    spec: { ...current.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: nowMicroTime },
  };
}

export function leasePath(namespace: string, name?: string): string {
  const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
}

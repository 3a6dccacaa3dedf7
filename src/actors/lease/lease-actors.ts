// The Lease effects the gatewayReplica machine invokes: try to acquire or renew, and release. Each call is one read
// and at most one write with the read's resourceVersion, so two replicas racing for the Lease cannot both win: the
// loser gets 409 Conflict and stays on standby.
import { fromPromise } from 'xstate';
import type { LeaseTarget, TryLeaseInput, TryLeaseOutput } from '../../machines/gateway-replica.ts';
import { type KubeApi, KubeApiError } from '../kube/kube-api.ts';
import { decide, type LeaseObject, leasePath, observe, released } from './lease-record.ts';

/** Time for Lease records: the runtime passes the wall clock, tests a simulated one. */
export interface LeaseClock {
  nowMs(): number;
  /** A Kubernetes MicroTime (RFC 3339 with microseconds) for `ms`. */
  microTime(ms: number): string;
}

export function createLeaseActors(api: KubeApi, clock: LeaseClock) {
  const read = async (t: LeaseTarget, signal: AbortSignal): Promise<LeaseObject | undefined> => {
    try {
      return await api.request<LeaseObject>({ method: 'GET', path: leasePath(t.namespace, t.name), signal });
    } catch (err) {
      if (err instanceof KubeApiError && err.code === 404) return undefined;
      throw err;
    }
  };

  const tryLease = fromPromise<TryLeaseOutput, TryLeaseInput>(async ({ input, signal }) => {
    const current = await read(input, signal);
    const nowMs = clock.nowMs();
    const decision = decide({
      ...input,
      current,
      previous: input.observed,
      nowMs,
      nowMicroTime: clock.microTime(nowMs),
    });
    if (decision.action === 'wait')
      return { held: false, observed: decision.observed, holder: decision.observed.holder };
    try {
      const written =
        decision.action === 'create'
          ? await api.request<LeaseObject>({
              method: 'POST',
              path: leasePath(input.namespace),
              body: decision.body,
              signal,
            })
          : await api.request<LeaseObject>({
              method: 'PUT',
              path: leasePath(input.namespace, input.name),
              body: decision.body,
              signal,
            });
      return { held: true, observed: observe(written, null, nowMs), holder: input.identity };
    } catch (err) {
      // Another replica wrote first (409 on update, AlreadyExists on create): it won this round.
      if (err instanceof KubeApiError && err.code === 409) {
        return { held: false, observed: current ? observe(current, input.observed, nowMs) : null, holder: undefined };
      }
      throw err;
    }
  });

  const releaseLease = fromPromise<void, LeaseTarget>(async ({ input, signal }) => {
    const current = await read(input, signal);
    if (!current || (current.spec?.holderIdentity ?? undefined) !== input.identity) return;
    await api.request({
      method: 'PUT',
      path: leasePath(input.namespace, input.name),
      body: released(current, clock.microTime(clock.nowMs())),
      signal,
    });
  });

  return { tryLease, releaseLease };
}

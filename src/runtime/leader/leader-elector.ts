// Leader election for `mcpre operator`: the gatewayReplica chart (src/machines/gateway-replica.ts) and its Lease
// actors (src/actors/lease), which already implement client-go's protocol (expiry judged by this replica's own clock,
// a 409 loses the race, release on stop), run here for the operator's Lease. Only the replica in `active` reconciles.
//
//   leading      resolves the first time this replica holds the Lease
//   onLost       fires when a leader stops holding it (renew deadline passed, or another replica took it): the
//                caller must stop writing at once; the renew deadline is shorter than the Lease duration, so this
//                happens before any other replica may take over
//   release()    STOP: gives the Lease up (holder cleared) so a standby takes over on its next retry, not after expiry
import { createActor, type InspectionEvent } from 'xstate';
import type { KubeApi } from '../../actors/kube/kube-api.ts';
import { createLeaseActors, type LeaseClock } from '../../actors/lease/lease-actors.ts';
import { gatewayReplicaMachine } from '../../machines/gateway-replica.ts';

export interface LeaseSettings {
  namespace: string;
  name: string;
  durationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
}

export interface LeaderElectorOptions {
  api: KubeApi;
  lease: LeaseSettings;
  identity: string;
  clock: LeaseClock;
  inspect?: (event: InspectionEvent) => void;
  /** Told about every change worth a log line. */
  onEvent?: (event: LeaderEvent) => void;
}

export type LeaderEvent =
  | { type: 'acquired'; identity: string }
  | { type: 'lost'; identity: string; holder: string | undefined }
  | { type: 'standby'; holder: string | undefined }
  | { type: 'error'; error: string };

export interface LeaderElector {
  identity: string;
  isLeader(): boolean;
  leading: Promise<void>;
  onLost(listener: () => void): void;
  /** Who holds the Lease as last seen (this replica's identity while leading). */
  holder(): string | undefined;
  /** The last Lease request error, null after a success. */
  lastError(): string | null;
  release(timeoutMs?: number): Promise<void>;
}

export function validateLeaseSettings(s: LeaseSettings): void {
  const whole = (n: number) => Number.isInteger(n) && n >= 1;
  if (!whole(s.durationSeconds) || !whole(s.renewDeadlineSeconds) || !whole(s.retryPeriodSeconds)) {
    throw new Error('--lease-duration, --renew-deadline and --retry-period take whole seconds, at least 1');
  }
  if (s.renewDeadlineSeconds >= s.durationSeconds) {
    throw new Error(
      `--renew-deadline (${s.renewDeadlineSeconds}s) must be shorter than --lease-duration (${s.durationSeconds}s): a leader must stop before another replica may take over`,
    );
  }
  if (s.retryPeriodSeconds >= s.renewDeadlineSeconds) {
    throw new Error(
      `--retry-period (${s.retryPeriodSeconds}s) must be shorter than --renew-deadline (${s.renewDeadlineSeconds}s), or one failed renewal loses the Lease`,
    );
  }
}

export function startLeaderElector(opts: LeaderElectorOptions): LeaderElector {
  validateLeaseSettings(opts.lease);
  const actor = createActor(gatewayReplicaMachine.provide({ actors: createLeaseActors(opts.api, opts.clock) }), {
    systemId: 'operator-leader',
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
    input: {
      identity: opts.identity,
      namespace: opts.lease.namespace,
      leaseName: opts.lease.name,
      durationSeconds: opts.lease.durationSeconds,
      renewDeadlineSeconds: opts.lease.renewDeadlineSeconds,
      retryPeriodSeconds: opts.lease.retryPeriodSeconds,
    },
  });
  let leader = false;
  let everLed = false;
  let holder: string | undefined;
  let lastError: string | null = null;
  const lostListeners: Array<() => void> = [];
  let resolveLeading!: () => void;
  const leading = new Promise<void>((resolve) => {
    resolveLeading = resolve;
  });

  actor.subscribe({
    next: (snapshot) => {
      if (snapshot.context.lastError !== lastError) {
        lastError = snapshot.context.lastError;
        if (lastError) opts.onEvent?.({ type: 'error', error: lastError });
      }
      const now = snapshot.hasTag('serving');
      const seenHolder = now ? opts.identity : snapshot.context.holder;
      if (!now && seenHolder !== holder && snapshot.matches('standby') && !everLed) {
        opts.onEvent?.({ type: 'standby', holder: seenHolder });
      }
      holder = seenHolder;
      if (now === leader) return;
      leader = now;
      if (now) {
        everLed = true;
        opts.onEvent?.({ type: 'acquired', identity: opts.identity });
        resolveLeading();
      } else if (snapshot.status === 'active' && !snapshot.matches('releasing') && !snapshot.matches('stopped')) {
        opts.onEvent?.({ type: 'lost', identity: opts.identity, holder: snapshot.context.holder });
        for (const l of lostListeners) l();
      }
    },
    error: (err) => opts.onEvent?.({ type: 'error', error: `leader election chart failed: ${String(err)}` }),
  });
  actor.start();

  return {
    identity: opts.identity,
    isLeader: () => leader,
    leading,
    onLost: (l) => {
      lostListeners.push(l);
    },
    holder: () => holder,
    lastError: () => lastError,
    async release(timeoutMs = 5000) {
      const done = new Promise<void>((resolve) => {
        const sub = actor.subscribe({ complete: () => resolve(), error: () => resolve() });
        if (actor.getSnapshot().status !== 'active') {
          sub.unsubscribe();
          resolve();
        }
      });
      leader = false;
      actor.send({ type: 'STOP' });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      actor.stop();
    },
  };
}

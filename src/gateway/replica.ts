// Runs the gatewayReplica chart with the real Lease actors and exposes it to the gateway as a ReplicaGate: the
// gateway opens direct backends and reports ready only while the chart is `serving`.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createActor, type InspectionEvent } from 'xstate';
import { createLeaseActors, type LeaseClock } from '../actors/lease/lease-actors.ts';
import type { LeaseConfig } from '../api/gateway/config.ts';
import { gatewayReplicaMachine } from '../machines/gateway-replica.ts';
import { systemLeaseClock } from '../runtime/clock.ts';
import { createKubeHttp, type KubeHttp } from '../runtime/kube/kube-http.ts';
import { resolveNamespace } from '../runtime/namespace.ts';
import type { ReplicaGate } from './gateway.ts';

export interface ReplicaOptions {
  lease: LeaseConfig;
  /** Where the Lease lives when the config does not say: --namespace, else the pod's own namespace. */
  namespace?: string;
  kubeconfigPath?: string;
  identity?: string;
  logger: Logger;
  /** Report the replica chart to an inspector (the /debug/actors directory). */
  inspect?: (event: InspectionEvent) => void;
}

export interface RunningReplica extends ReplicaGate {
  identity: string;
  /** Release the Lease (when held) and stop; resolves when done. */
  stop(): Promise<void>;
}

/** The Lease's namespace: from the config, else --namespace, else the pod's own. */
export function resolveLeaseNamespace(lease: LeaseConfig, flag: string | undefined): string {
  return resolveNamespace({ before: [lease.namespace, flag], missing: gatewayNamespaceMissing('the Lease') });
}

/** What a gateway feature that needs a namespace says when it has none. */
export function gatewayNamespaceMissing(what: string): string {
  return `${what} needs a namespace: pass --namespace, set it in the config, or run in a pod`;
}

export function startReplica(opts: ReplicaOptions): RunningReplica {
  const kc = new KubeConfig();
  if (opts.kubeconfigPath) kc.loadFromFile(opts.kubeconfigPath);
  else kc.loadFromDefault();
  const api: KubeHttp = createKubeHttp(kc);
  return runReplica({ ...opts, api, clock: systemLeaseClock });
}

/** The same, over any KubeApi and clock (tests). */
export function runReplica(
  opts: ReplicaOptions & {
    api: Parameters<typeof createLeaseActors>[0] & { close?: () => Promise<void> };
    clock: LeaseClock;
  },
): RunningReplica {
  const identity = opts.identity ?? `${process.env.POD_NAME ?? hostname()}_${randomUUID().slice(0, 8)}`;
  const namespace = resolveLeaseNamespace(opts.lease, opts.namespace);
  const actor = createActor(gatewayReplicaMachine.provide({ actors: createLeaseActors(opts.api, opts.clock) }), {
    systemId: 'gateway-replica',
    ...(opts.inspect ? { inspect: opts.inspect } : {}),
    input: {
      identity,
      namespace,
      leaseName: opts.lease.name,
      durationSeconds: opts.lease.durationSeconds,
      renewDeadlineSeconds: opts.lease.renewDeadlineSeconds,
      retryPeriodSeconds: opts.lease.retryPeriodSeconds,
    },
  });
  const listeners = new Set<() => void>();
  let serving = false;
  let lastError: string | null = null;
  actor.subscribe({
    next: (snapshot) => {
      if (snapshot.context.lastError !== lastError) {
        lastError = snapshot.context.lastError;
        if (lastError) opts.logger.warn({ lease: opts.lease.name, err: lastError }, 'Lease request failed');
      }
      const now = snapshot.hasTag('serving');
      if (now === serving) return;
      serving = now;
      opts.logger.info(
        { lease: `${namespace}/${opts.lease.name}`, identity, holder: snapshot.context.holder },
        now ? 'acquired the gateway Lease' : 'not holding the gateway Lease',
      );
      for (const l of listeners) l();
    },
    error: (err) => opts.logger.error({ err: String(err) }, 'gateway replica chart failed'),
  });
  actor.start();
  return {
    identity,
    isActive: () => serving,
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    stop: async () => {
      const done = new Promise<void>((resolve) => {
        const sub = actor.subscribe({ complete: () => resolve(), error: () => resolve() });
        if (actor.getSnapshot().status !== 'active') {
          sub.unsubscribe();
          resolve();
        }
      });
      actor.send({ type: 'STOP' });
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000).unref())]);
      actor.stop();
      await opts.api.close?.();
    },
  };
}

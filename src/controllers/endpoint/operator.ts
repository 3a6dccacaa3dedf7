// The operator runtime: informers feed caches and a reference index; changes wake exactly the endpoint actors that
// care; actors read caches and write through one bounded queue; a keyed queue keeps MCPGroup membership status
// current. Nothing is reconciled until every cache has synced, so a first pass never sees a half-loaded world
// (a group not yet listed would otherwise read as GroupNotFound and flap).

import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { applyProxyObjects } from '../../actors/kube/apply-proxy.ts';
import { deleteOwnedObjects } from '../../actors/kube/delete-owned.ts';
import { writeGroupMembership } from '../../actors/kube/group-status.ts';
import { observeEndpoint } from '../../actors/kube/observe-endpoint.ts';
import { recordEndpointEvents } from '../../actors/kube/record-events.ts';
import { setEndpointFinalizers } from '../../actors/kube/set-finalizers.ts';
import { writeEndpointStatus } from '../../actors/kube/write-status.ts';
import { membershipCurrent, membershipOf } from '../../api/endpoint/group-membership.ts';
import type { Endpoint, Group, KubeObject } from '../../api/endpoint/model.ts';
import type { ProxySettings } from '../../api/endpoint/proxy-objects.ts';
import { endpointReferences, objectKey, refKey, splitObjectKey } from '../../api/endpoint/references.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import { isoMillis, isoSeconds } from '../../api/kube-time.ts';
import { endpointMachine } from '../../machines/endpoint.ts';
import { type RuntimeClock, sleepOn, systemClock } from '../../runtime/clock.ts';
import { KeyedQueue } from '../../runtime/kube/keyed-queue.ts';
import { createKubeHttp, type KubeHttp, logConnectionEvents } from '../../runtime/kube/kube-http.ts';
import { ReferenceIndex } from '../../runtime/kube/reference-index.ts';
import type { ChangeType } from '../../runtime/kube/reflector.ts';
import { keyOf } from '../../runtime/kube/store.ts';
import { queuedWrites } from '../../runtime/kube/write-queue.ts';
import { type Rng, systemRng } from '../../runtime/random.ts';
import { EndpointRegistry } from './endpoint-registry.ts';
import { createInformers, type InformerName, type Informers } from './informers.ts';

/** Membership changes arriving within this window are written to the group's status once. */
const GROUP_DEBOUNCE_MS = 200;

export const DEFAULT_PROXY_IMAGE = 'ghcr.io/stacklok/mcpre:0.1.0';

export interface OperatorOptions {
  /** Where the API server is; not needed when `http` is given. */
  kubeconfig?: KubeConfig;
  /** The API transport; by default one undici pool built from `kubeconfig` (the simulator passes its in-memory one). */
  http?: KubeHttp;
  /** Timers and time for everything the operator schedules, actors included; the system clock by default. */
  clock?: RuntimeClock;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  logger: Logger;
  proxy?: Partial<ProxySettings>;
  /** Concurrent writes to the API server. */
  writeConcurrency?: number;
  /** Every this often, every endpoint and group is looked at again even without a change. */
  resyncMs?: number;
  retry?: RetryPolicy;
  rng?: Rng;
  /** Name reported on Events; defaults to $POD_NAME or the host name. */
  instance?: string;
  inspect?: (event: InspectionEvent) => void;
  watchInactivityMs?: number;
}

export interface OperatorStats {
  requests: Record<string, number>;
  statusWrites: number;
  /** Status writes per endpoint (`namespace/name`): a second reconcile of an unchanged object adds nothing here. */
  statusWritesByEndpoint: Map<string, number>;
  groupWrites: number;
}

export interface Operator {
  /** Resolves once every informer has synced and the first wake-ups went out. */
  ready: Promise<void>;
  informers: Informers;
  registry: EndpointRegistry;
  index: ReferenceIndex;
  groups: KeyedQueue;
  stats: OperatorStats;
  /**
   * Stops watching, lets work already started finish (bounded by `graceMs`; 0 stops at once, like a crash that
   * still closes connections), then stops the actors.
   */
  stop(graceMs?: number): Promise<void>;
}

export function startOperator(opts: OperatorOptions): Operator {
  const log = opts.logger;
  const rng = opts.rng ?? systemRng();
  const clock = opts.clock ?? systemClock;
  if (!opts.http && !opts.kubeconfig) throw new Error('startOperator needs a kubeconfig or an http transport');
  const http: KubeHttp =
    opts.http ??
    createKubeHttp(opts.kubeconfig as KubeConfig, {
      connections: Math.max(8, opts.writeConcurrency ?? 32),
      onConnectionEvent: logConnectionEvents(log),
    });
  const stats: OperatorStats = { requests: {}, statusWrites: 0, statusWritesByEndpoint: new Map(), groupWrites: 0 };
  const counted = {
    request<T>(req: Parameters<KubeHttp['request']>[0]): Promise<T> {
      stats.requests[req.method] = (stats.requests[req.method] ?? 0) + 1;
      if (req.method === 'PATCH' && req.path.endsWith('/status')) {
        const m = /\/namespaces\/([^/]+)\/mcpremoteendpoints\/([^/]+)\/status$/.exec(req.path);
        if (m) {
          stats.statusWrites += 1;
          const key = objectKey(decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''));
          stats.statusWritesByEndpoint.set(key, (stats.statusWritesByEndpoint.get(key) ?? 0) + 1);
        } else stats.groupWrites += 1;
      }
      return http.request<T>(req);
    },
  };
  const writes = queuedWrites(counted, opts.writeConcurrency ?? 32);
  const index = new ReferenceIndex();
  // Event names: this process's start time plus a counter, unique across restarts without randomness.
  const startedAt = clock.now().toString(36);
  let eventSeq = 0;
  let synced = false;

  const onChange = (informer: InformerName, type: ChangeType, obj: KubeObject, old: KubeObject | undefined) => {
    if (informer === 'endpoints') return onEndpointChange(type, obj as Endpoint, old as Endpoint | undefined);
    if (!synced) return;
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name;
    switch (informer) {
      case 'groups':
        // Endpoints only care whether their group exists (and is not being deleted). The group's own status
        // changes with every membership write, and waking every member for that would be quadratic.
        if (
          type !== 'modified' ||
          Boolean(old?.metadata.deletionTimestamp) !== Boolean(obj.metadata.deletionTimestamp)
        ) {
          wakeAll(index.lookup(refKey('MCPGroup', ns, name)));
        }
        groups.add(objectKey(ns, name), GROUP_DEBOUNCE_MS);
        return;
      case 'authConfigs':
        return wakeAll(index.lookup(refKey('MCPExternalAuthConfig', ns, name)));
      case 'configMaps':
        return wakeAll(index.lookup(refKey('ConfigMap', ns, name)));
      case 'toolConfigs':
        return wakeAll(index.lookup(refKey('MCPToolConfig', ns, name)));
      case 'secrets':
        return wakeAll(index.lookup(refKey('Secret', ns, name)));
      case 'mcpServers':
        return wakeAll(index.lookup(refKey('MCPServer', ns, name)));
      case 'mcpRemoteProxies':
        return wakeAll(index.lookup(refKey('MCPRemoteProxy', ns, name)));
      default: {
        // An owned Deployment, Service or ServiceAccount: wake its owner.
        const owner = obj.metadata.ownerReferences?.find((o) => o.kind === 'MCPRemoteEndpoint');
        if (owner) registry.wake(objectKey(ns, owner.name));
      }
    }
  };

  const informers = createInformers({
    api: http,
    namespace: opts.namespace,
    rng,
    onChange,
    inactivityMs: opts.watchInactivityMs,
    clock,
    log: (level, msg, fields) => log[level](fields ?? {}, msg),
  });

  const actors = {
    observe: observeEndpoint({ caches: informers, api: writes.api, now: () => isoSeconds(clock.now()) }),
    writeStatus: writeEndpointStatus({ api: writes.api, caches: informers }),
    setFinalizers: setEndpointFinalizers({ api: writes.api, caches: informers }),
    applyProxy: applyProxyObjects({ api: writes.api }),
    deleteOwned: deleteOwnedObjects({ api: writes.api }),
    recordEvents: recordEndpointEvents({
      api: writes.api,
      now: () => isoMillis(clock.now()),
      instance: opts.instance ?? process.env.POD_NAME ?? hostname(),
      uniqueSuffix: () => `${startedAt}${(++eventSeq).toString(36)}`,
      onError: (err, endpoint) =>
        log.warn({ endpoint: `${endpoint.namespace}/${endpoint.name}`, err: String(err) }, 'could not record event'),
    }),
  };
  const registry = new EndpointRegistry({
    machine: endpointMachine.provide({ actors }),
    proxy: { image: opts.proxy?.image ?? DEFAULT_PROXY_IMAGE, imagePullPolicy: opts.proxy?.imagePullPolicy },
    retry: opts.retry,
    inspect: opts.inspect,
    ...(opts.clock ? { clock: opts.clock } : {}),
    onActorError: (key, err) =>
      log.error({ endpoint: key, err }, 'endpoint actor failed; it is recreated on the next change'),
  });

  const groups = new KeyedQueue({
    concurrency: 4,
    rng,
    clock,
    handler: async (key, signal) => {
      const group = informers.groups.store.getByKey(key);
      if (!group) return;
      const { namespace, name } = splitObjectKey(key);
      const members = membershipOf(
        name,
        index
          .lookup(refKey('MCPGroup', namespace, name))
          .map((k) => informers.endpoints.store.getByKey(k))
          .filter((e): e is Endpoint => e !== undefined),
      );
      if (membershipCurrent(group, members)) return;
      const written = await writeGroupMembership(writes.api, group, members, signal);
      informers.groups.store.offer(written as Group);
      log.debug({ group: key, count: members.remoteEndpointCount }, 'group membership written');
    },
    onError: (key, err, retryInMs) =>
      log.warn({ group: key, err: String(err), retryInMs: Math.round(retryInMs) }, 'group status write failed'),
  });

  function wakeAll(keys: string[]): void {
    for (const k of keys) registry.wake(k);
  }

  function onEndpointChange(type: ChangeType, obj: Endpoint, old: Endpoint | undefined): void {
    const key = keyOf(obj);
    const ns = obj.metadata.namespace ?? '';
    if (type === 'deleted') {
      index.remove(key);
      registry.stop(key);
      if (synced) groups.add(objectKey(ns, (old ?? obj).spec.groupRef), GROUP_DEBOUNCE_MS);
      return;
    }
    index.set(key, endpointReferences(obj));
    if (!synced) return;
    registry.wake(key);
    const membershipMoved =
      !old ||
      old.spec.groupRef !== obj.spec.groupRef ||
      Boolean(old.metadata.deletionTimestamp) !== Boolean(obj.metadata.deletionTimestamp);
    if (membershipMoved) {
      groups.add(objectKey(ns, obj.spec.groupRef), GROUP_DEBOUNCE_MS);
      if (old && old.spec.groupRef !== obj.spec.groupRef)
        groups.add(objectKey(ns, old.spec.groupRef), GROUP_DEBOUNCE_MS);
    }
  }

  function resyncAll(): void {
    for (const key of informers.endpoints.store.keys()) registry.wake(key);
    for (const key of informers.groups.store.keys()) groups.add(key);
  }

  let resyncTimer: unknown;
  const ready = (async () => {
    await informers.start();
    synced = true;
    log.info(
      {
        namespace: opts.namespace ?? '(all)',
        endpoints: informers.endpoints.store.size,
        groups: informers.groups.store.size,
        toolhiveKindsAbsent: [informers.all.mcpServers, informers.all.mcpRemoteProxies]
          .filter((r) => r.absent)
          .map((r) => r.name),
      },
      'caches synced; reconciling',
    );
    resyncAll();
    const every = opts.resyncMs ?? 10 * 60_000;
    const resync = () => {
      resyncAll();
      resyncTimer = clock.setTimeout(resync, every);
    };
    resyncTimer = clock.setTimeout(resync, every);
  })();

  return {
    ready,
    informers,
    registry,
    index,
    groups,
    stats,
    async stop(graceMs = 10_000) {
      clock.clearTimeout(resyncTimer);
      // No new wake-ups; let work already started (a status write and its events) finish, within the grace period.
      await informers.stop();
      const deadline = clock.now() + graceMs;
      const quiet = () =>
        registry.quiet() && groups.pending === 0 && writes.queue.size === 0 && writes.queue.pending === 0;
      while (clock.now() < deadline && !quiet()) await sleepOn(clock, 20);
      registry.stopAll();
      groups.stop();
      writes.queue.clear();
      await http.close();
    },
  };
}

// The MCPRemoteEndpoint controller on the manager: a change wakes exactly the endpoint actors that read the changed
// object (its reference index), an owned Deployment, Service or ServiceAccount wakes its owner, and each actor reads
// the shared caches and writes through the manager's write queue. Nothing is reconciled before its caches have
// synced, so a first pass never sees a half-loaded world (a group not yet listed would read as GroupNotFound).
import { hostname } from 'node:os';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { applyProxyObjects } from '../../actors/kube/apply-proxy.ts';
import { deleteOwnedObjects } from '../../actors/kube/delete-owned.ts';
import { observeEndpoint } from '../../actors/kube/observe-endpoint.ts';
import { recordEndpointEvents } from '../../actors/kube/record-events.ts';
import { setEndpointFinalizers } from '../../actors/kube/set-finalizers.ts';
import { writeEndpointStatus } from '../../actors/kube/write-status.ts';
import type { Endpoint } from '../../api/endpoint/model.ts';
import type { ProxySettings } from '../../api/endpoint/proxy-objects.ts';
import { endpointReferences, objectKey, type ReferencedKind, refKey } from '../../api/endpoint/references.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import { isoMillis, isoSeconds } from '../../api/kube-time.ts';
import { endpointMachine } from '../../machines/endpoint.ts';
import type { Manager } from '../../runtime/kube/manager.ts';
import { ReferenceIndex } from '../../runtime/kube/reference-index.ts';
import { keyOf } from '../../runtime/kube/store.ts';
import { EndpointRegistry } from './endpoint-registry.ts';
import { ENDPOINT_WATCHES, endpointCaches, type InformerName, type Informers } from './informers.ts';

export const DEFAULT_PROXY_IMAGE = 'ghcr.io/stacklok/mcpre:0.1.0';

export interface EndpointControllerOptions {
  logger: Logger;
  proxy?: Partial<ProxySettings>;
  /** Every this often, every endpoint is looked at again even without a change. */
  resyncMs?: number;
  retry?: RetryPolicy;
  /** Name reported on Events; defaults to $POD_NAME or the host name. */
  instance?: string;
  inspect?: (event: InspectionEvent) => void;
  /**
   * At most this many endpoints reconciled at once, up to their status write; their Events then wait behind status
   * writes in the write queue. A first pass over thousands of endpoints then holds this many snapshots and plans in
   * memory instead of all of them, and every status is still written before any Event. Unset: no limit.
   */
  maxBusy?: number;
}

export interface EndpointStats {
  /** Requests sent through the manager's write queue (every controller's), by method. */
  requests: Record<string, number>;
  statusWrites: number;
  /** Status writes per endpoint (`namespace/name`): a second reconcile of an unchanged object adds nothing here. */
  statusWritesByEndpoint: Map<string, number>;
}

export interface EndpointController {
  ready: Promise<void>;
  informers: Informers;
  registry: EndpointRegistry;
  index: ReferenceIndex;
  stats: EndpointStats;
}

/** Kinds whose objects endpoints reference by name, by the informer that carries them. */
const REFERENCED: Partial<Record<InformerName, ReferencedKind>> = {
  groups: 'MCPGroup',
  authConfigs: 'MCPExternalAuthConfig',
  configMaps: 'ConfigMap',
  toolConfigs: 'MCPToolConfig',
  secrets: 'Secret',
  mcpServers: 'MCPServer',
  mcpRemoteProxies: 'MCPRemoteProxy',
};

export function startEndpointController(manager: Manager, opts: EndpointControllerOptions): EndpointController {
  const log = opts.logger;
  const { clock } = manager;
  const stats: EndpointStats = { requests: {}, statusWrites: 0, statusWritesByEndpoint: new Map() };
  // Counted as they go out (a write still queued when the process stops never happened).
  manager.onSend((req) => {
    stats.requests[req.method] = (stats.requests[req.method] ?? 0) + 1;
    const m = /\/namespaces\/([^/]+)\/mcpremoteendpoints\/([^/]+)\/status$/.exec(req.path);
    if (req.method === 'PATCH' && m) {
      stats.statusWrites += 1;
      const key = objectKey(decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? ''));
      stats.statusWritesByEndpoint.set(key, (stats.statusWritesByEndpoint.get(key) ?? 0) + 1);
    }
  });
  const api = manager.writes.api;
  const index = new ReferenceIndex();
  // Event names: this process's start time plus a counter, unique across restarts without randomness.
  const startedAt = clock.now().toString(36);
  let eventSeq = 0;
  // With maxBusy, Events wait here as one small closure each and enter the write queue (behind status writes) a write
  // slot's worth at a time: their request bodies are built only then, not for thousands at once in a first pass.
  const eventBacklog =
    opts.maxBusy === undefined ? undefined : new PQueue({ concurrency: manager.writes.queue.concurrency });
  const wakeAll = (keys: string[]) => {
    for (const k of keys) registry.wake(k);
  };

  const controller = manager.controller<InformerName>({
    name: 'mcpremoteendpoint',
    watches: ENDPOINT_WATCHES,
    resyncMs: opts.resyncMs,
    workers: [
      { quiet: () => registry.quiet(), stop: () => registry.stopAll() },
      ...(eventBacklog
        ? [{ quiet: () => eventBacklog.size === 0 && eventBacklog.pending === 0, stop: () => eventBacklog.clear() }]
        : []),
    ],
    resync: () => wakeAll([...controller.informers.endpoints.store.keys()]),
    onChange({ kind, type, obj, old, synced, offered }) {
      const ns = obj.metadata.namespace ?? '';
      if (kind === 'endpoints') {
        const key = keyOf(obj);
        if (type === 'deleted') {
          index.remove(key);
          registry.stop(key);
          return;
        }
        index.set(key, endpointReferences(obj as Endpoint));
        // This process's own write (or fresh read), offered from its answer, and the watch event that brings the same
        // version later: the actor that wrote it decided from the version before, so a fresh look would find nothing.
        const known =
          type === 'modified' && (offered || old?.metadata.resourceVersion === obj.metadata.resourceVersion);
        if (synced && !known) registry.wake(key);
        return;
      }
      if (!synced) return;
      const ref = REFERENCED[kind];
      if (ref) {
        // Endpoints only care whether their group exists (and is not being deleted). The group's own status changes
        // with every membership write, and waking every member for that would be quadratic.
        const statusOnly =
          kind === 'groups' &&
          type === 'modified' &&
          Boolean(old?.metadata.deletionTimestamp) === Boolean(obj.metadata.deletionTimestamp);
        if (!statusOnly) wakeAll(index.lookup(refKey(ref, ns, obj.metadata.name)));
        return;
      }
      const owner = obj.metadata.ownerReferences?.find((o) => o.kind === 'MCPRemoteEndpoint');
      if (owner) registry.wake(objectKey(ns, owner.name));
    },
  });
  const informers = controller.informers;
  const caches = endpointCaches(informers);

  const actors = {
    observe: observeEndpoint({ caches, api, now: () => isoSeconds(clock.now()) }),
    writeStatus: writeEndpointStatus({ api, caches }),
    setFinalizers: setEndpointFinalizers({ api, caches }),
    applyProxy: applyProxyObjects({ api }),
    deleteOwned: deleteOwnedObjects({ api }),
    recordEvents: recordEndpointEvents({
      api,
      now: () => isoMillis(clock.now()),
      instance: opts.instance ?? process.env.POD_NAME ?? hostname(),
      uniqueSuffix: () => `${startedAt}${(++eventSeq).toString(36)}`,
      priority: opts.maxBusy === undefined ? undefined : -1,
      detach: (send) => {
        if (eventBacklog) void eventBacklog.add(send);
        else void send();
      },
      onError: (err, endpoint) =>
        log.warn({ endpoint: `${endpoint.namespace}/${endpoint.name}`, err: String(err) }, 'could not record event'),
    }),
  };
  const registry = new EndpointRegistry({
    machine: endpointMachine.provide({ actors }),
    proxy: { image: opts.proxy?.image ?? DEFAULT_PROXY_IMAGE, imagePullPolicy: opts.proxy?.imagePullPolicy },
    retry: opts.retry,
    inspect: opts.inspect,
    clock,
    maxBusy: opts.maxBusy,
    onActorError: (key, err) =>
      log.error({ endpoint: key, err }, 'endpoint actor failed; it is recreated on the next change'),
  });

  const ready = controller.ready.then(() => {
    log.info(
      {
        namespace: manager.namespace ?? '(all)',
        endpoints: informers.endpoints.store.size,
        groups: informers.groups.store.size,
        toolhiveKindsAbsent: [informers.mcpServers, informers.mcpRemoteProxies]
          .filter((r) => r.absent)
          .map((r) => r.name),
      },
      'caches synced; reconciling',
    );
  });
  return { ready, informers, registry, index, stats };
}

// Deprecation warnings for ToolHive's MCPRemoteProxy and MCPServerEntry, where their CRDs are installed: discovery
// finds the version the cluster serves (ToolHive has shipped v1alpha1 and v1beta1), an informer watches the objects,
// and every reconcile of one (first sight, a spec change, the periodic resync) records one observation of the same
// Warning event: created once under a stable name, then its series count bumped. A kind whose CRD is missing is
// looked for again every minute, so installing ToolHive later is noticed without a restart.
import type { Logger } from 'pino';
import { collectionPath, isNotFound, KubeApiError, objectPath, Resources } from '../../actors/kube/kube-api.ts';
import type { KubeObject } from '../../api/endpoint/model.ts';
import { microTimeAt } from '../../api/kube-time.ts';
import { API_GROUP } from '../../api/resources.ts';
import { KeyedQueue } from '../../runtime/kube/keyed-queue.ts';
import type { KubeHttp } from '../../runtime/kube/kube-http.ts';
import type { Manager } from '../../runtime/kube/manager.ts';
import type { WatchSpec } from '../../runtime/kube/shared-informers.ts';
import { DeprecatedResources } from '../endpoint/permissions.ts';
import {
  DEPRECATED_KINDS,
  type DeprecatedKind,
  type DeprecatedObject,
  deprecationEvent,
  deprecationEventName,
  observedCount,
  seriesBump,
} from './deprecation-event.ts';

const PLURAL: Record<DeprecatedKind['kind'], string> = {
  MCPRemoteProxy: DeprecatedResources.mcpRemoteProxy.plural,
  MCPServerEntry: DeprecatedResources.mcpServerEntry.plural,
};

export interface DeprecationControllerOptions {
  logger: Logger;
  /** reportingInstance of the events (the pod name). */
  instance: string;
  /** Every object is reconciled (its event series bumped) this often. */
  resyncMs: number;
  discoveryRetryMs?: number;
  /** Told after every recorded observation (metrics). */
  onRecorded?: (kind: string) => void;
}

export interface DeprecationController {
  /** Resolves once discovery ran and the informers of the kinds found have synced. */
  ready: Promise<void>;
  /** Kinds found served, with their version. */
  watching(): Record<string, string>;
}

interface Target {
  kind: DeprecatedKind;
  object: DeprecatedObject;
}

interface Known {
  eventName: string;
  /** Observations recorded so far; undefined until this process has written or read the event. */
  count: number | undefined;
}

/** The version of `plural` in the ToolHive API group that the cluster serves (preferred version first). */
export async function servedVersion(api: KubeHttp, plural: string): Promise<string | undefined> {
  let group: { preferredVersion?: { version: string }; versions?: { version: string }[] };
  try {
    group = await api.request({ method: 'GET', path: `/apis/${API_GROUP}` });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const preferred = group.preferredVersion?.version;
  const versions = [...new Set([preferred, ...(group.versions ?? []).map((v) => v.version)])].filter((v): v is string =>
    Boolean(v),
  );
  for (const version of versions) {
    const list = await api.request<{ resources?: { name: string }[] }>({
      method: 'GET',
      path: `/apis/${API_GROUP}/${version}`,
    });
    if ((list.resources ?? []).some((r) => r.name === plural)) return version;
  }
  return undefined;
}

export function startDeprecationController(
  manager: Manager,
  opts: DeprecationControllerOptions,
): DeprecationController {
  const log = opts.logger.child({ controller: 'deprecation' });
  const { clock } = manager;
  const api = manager.writes.api;
  const known = new Map<string, Known>();
  // By object uid: the observation to record next. The keyed queue runs one write at a time per object (a resync
  // and a change may coincide) and a few at a time overall, and retries a failed one with backoff.
  const targets = new Map<string, Target>();
  const versions = new Map<DeprecatedKind['kind'], string>();
  let discoveryTimer: unknown;
  let stopped = false;

  async function recordOnce(target: Target, signal: AbortSignal): Promise<void> {
    const { kind, object: obj } = target;
    const entry = known.get(obj.uid) ?? { eventName: deprecationEventName(obj), count: undefined };
    known.set(obj.uid, entry);
    const nowMicro = microTimeAt(clock.now());
    const path = objectPath(Resources.event, obj.namespace, entry.eventName);
    const bump = async (count: number) => {
      await api.request({
        method: 'PATCH',
        path,
        contentType: 'application/merge-patch+json',
        body: seriesBump(count, nowMicro),
        signal,
      });
      entry.count = count + 1;
    };
    if (entry.count !== undefined) {
      try {
        return await bump(entry.count);
      } catch (err) {
        // The event expired (the API server keeps events for --event-ttl, 1 h by default): record it anew.
        if (!isNotFound(err)) throw err;
        entry.count = undefined;
      }
    }
    try {
      await api.request({
        method: 'POST',
        path: collectionPath(Resources.event, obj.namespace),
        body: deprecationEvent(kind, obj, nowMicro, opts.instance),
        signal,
      });
      entry.count = 1;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      // Recorded before (an earlier run of the operator, or another replica before a handover): one more observation.
      const existing = await api.request<{ series?: { count?: number } }>({ method: 'GET', path, signal });
      await bump(observedCount(existing));
    }
  }

  const queue = new KeyedQueue({
    concurrency: 4,
    rng: manager.rng,
    clock,
    handler: async (uid, signal) => {
      const target = targets.get(uid);
      if (!target) return;
      await recordOnce(target, signal);
      opts.onRecorded?.(target.kind.kind);
    },
    onError: (uid, err, retryInMs) => {
      const t = targets.get(uid);
      log.warn(
        {
          object: t && `${t.object.namespace}/${t.object.name}`,
          kind: t?.kind.kind,
          err: String(err),
          retryInMs: Math.round(retryInMs),
        },
        'could not record deprecation event',
      );
    },
  });

  const toObject = (kind: DeprecatedKind, o: KubeObject): DeprecatedObject => ({
    apiVersion: `${API_GROUP}/${versions.get(kind.kind)}`,
    kind: kind.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    uid: o.metadata.uid ?? '',
  });

  function record(kind: DeprecatedKind, o: KubeObject): void {
    const object = toObject(kind, o);
    if (!object.uid) return;
    targets.set(object.uid, { kind, object });
    queue.add(object.uid);
  }

  const kindOf = (name: string) => DEPRECATED_KINDS.find((k) => k.kind === name) as DeprecatedKind;
  const controller = manager.controller<DeprecatedKind['kind']>({
    name: 'deprecation',
    watches: {} as Record<DeprecatedKind['kind'], WatchSpec>,
    resyncMs: opts.resyncMs,
    workers: [{ quiet: () => queue.pending === 0, stop: () => queue.stop() }],
    onStop: () => {
      stopped = true;
      clock.clearTimeout(discoveryTimer);
    },
    resync: () => {
      for (const [name, version] of versions) {
        const r = manager.informers.get(resourceOf(kindOf(name), version));
        for (const o of r?.store.values() ?? []) record(kindOf(name), o);
      }
    },
    onChange({ kind: name, type, obj, old }) {
      const kind = kindOf(name);
      if (type === 'deleted') {
        known.delete(obj.metadata.uid ?? '');
        targets.delete(obj.metadata.uid ?? '');
        return;
      }
      // A status-only update is not a reconcile of what the user wrote; a new generation is.
      if (type === 'modified' && old?.metadata.generation === obj.metadata.generation) return;
      record(kind, obj);
    },
  });

  async function discover(): Promise<void> {
    const started: Promise<unknown>[] = [];
    for (const kind of DEPRECATED_KINDS) {
      if (versions.has(kind.kind)) continue;
      const version = await servedVersion(manager.http, PLURAL[kind.kind]);
      if (!version || stopped) continue;
      versions.set(kind.kind, version);
      log.info({ kind: kind.kind, version }, 'deprecated kind is served; warning on its objects');
      started.push(controller.watch(kind.kind, { resource: resourceOf(kind, version), optional: true }));
    }
    await Promise.all(started);
  }

  const discoverLogged = () =>
    discover().catch((err: unknown) => log.warn({ err: String(err) }, 'API discovery failed; trying again'));
  function scheduleDiscovery(): void {
    if (stopped || versions.size === DEPRECATED_KINDS.length) return;
    discoveryTimer = clock.setTimeout(() => {
      void discoverLogged().finally(scheduleDiscovery);
    }, opts.discoveryRetryMs ?? 60_000);
  }

  const ready = (async () => {
    await manager.started;
    await discoverLogged();
    scheduleDiscovery();
  })();

  return { ready, watching: () => Object.fromEntries(versions) };
}

function resourceOf(kind: DeprecatedKind, version: string) {
  return { group: API_GROUP, version, plural: PLURAL[kind.kind], kind: kind.kind };
}

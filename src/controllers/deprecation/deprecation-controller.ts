// Deprecation warnings for ToolHive's MCPRemoteProxy and MCPServerEntry, where their CRDs are installed: discovery
// finds the version the cluster serves (ToolHive has shipped v1alpha1 and v1beta1), an informer watches the objects,
// and every reconcile of one (first sight, a spec change, the periodic resync) records one observation of the same
// Warning event: created once under a stable name, then its series count bumped. A kind whose CRD is missing is
// looked for again every minute, so installing ToolHive later is noticed without a restart.
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { collectionPath, isNotFound, KubeApiError, objectPath, Resources } from '../../actors/kube/kube-api.ts';
import type { KubeObject } from '../../api/endpoint/model.ts';
import { microTimeAt } from '../../api/kube-time.ts';
import { API_GROUP } from '../../api/resources.ts';
import { systemClock } from '../../runtime/clock.ts';
import type { KubeHttp } from '../../runtime/kube/kube-http.ts';
import { Reflector } from '../../runtime/kube/reflector.ts';
import type { Rng } from '../../runtime/random.ts';
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
  api: KubeHttp;
  namespace?: string;
  rng: Rng;
  logger: Logger;
  /** reportingInstance of the events (the pod name). */
  instance: string;
  /** Every object is reconciled (its event series bumped) this often. */
  resyncMs: number;
  discoveryRetryMs?: number;
  now?: () => number;
  /** Told after every recorded observation (metrics). */
  onRecorded?: (kind: string) => void;
}

export interface DeprecationController {
  /** Resolves once discovery ran and the informers of the kinds found have synced. */
  ready: Promise<void>;
  /** Kinds found served, with their version. */
  watching(): Record<string, string>;
  stop(): Promise<void>;
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

export function startDeprecationController(opts: DeprecationControllerOptions): DeprecationController {
  const log = opts.logger.child({ controller: 'deprecation' });
  const now = opts.now ?? systemClock.now;
  const queue = new PQueue({ concurrency: 4 });
  const known = new Map<string, Known>();
  const chains = new Map<string, Promise<void>>();
  const reflectors = new Map<DeprecatedKind['kind'], { version: string; reflector: Reflector<KubeObject> }>();
  const stopper = new AbortController();
  let resyncTimer: NodeJS.Timeout | undefined;
  let discoveryTimer: NodeJS.Timeout | undefined;

  const toObject = (kind: DeprecatedKind, version: string, o: KubeObject): DeprecatedObject => ({
    apiVersion: `${API_GROUP}/${version}`,
    kind: kind.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    uid: o.metadata.uid ?? '',
  });

  async function recordOnce(kind: DeprecatedKind, obj: DeprecatedObject): Promise<void> {
    const entry = known.get(obj.uid) ?? { eventName: deprecationEventName(obj), count: undefined };
    known.set(obj.uid, entry);
    const nowMicro = microTimeAt(now());
    const path = objectPath(Resources.event, obj.namespace, entry.eventName);
    const bump = async (count: number) => {
      await opts.api.request({
        method: 'PATCH',
        path,
        contentType: 'application/merge-patch+json',
        body: seriesBump(count, nowMicro),
        signal: stopper.signal,
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
      await opts.api.request({
        method: 'POST',
        path: collectionPath(Resources.event, obj.namespace),
        body: deprecationEvent(kind, obj, nowMicro, opts.instance),
        signal: stopper.signal,
      });
      entry.count = 1;
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      // Recorded before (an earlier run of the operator, or another replica before a handover): one more observation.
      const existing = await opts.api.request<{ series?: { count?: number } }>({
        method: 'GET',
        path,
        signal: stopper.signal,
      });
      await bump(observedCount(existing));
    }
  }

  function record(kind: DeprecatedKind, obj: DeprecatedObject): void {
    if (stopper.signal.aborted || !obj.uid) return;
    // One write at a time per object (a resync and a change may coincide), a few at a time overall.
    const previous = chains.get(obj.uid) ?? Promise.resolve();
    const next = previous.then(() =>
      queue
        .add(() => recordOnce(kind, obj))
        .then(
          () => opts.onRecorded?.(kind.kind),
          (err: unknown) => {
            if (!stopper.signal.aborted)
              log.warn(
                { object: `${obj.namespace}/${obj.name}`, kind: kind.kind, err: String(err) },
                'could not record deprecation event',
              );
          },
        ),
    );
    chains.set(obj.uid, next);
    void next.finally(() => {
      if (chains.get(obj.uid) === next) chains.delete(obj.uid);
    });
  }

  function startWatching(kind: DeprecatedKind, version: string): Reflector<KubeObject> {
    const reflector = new Reflector<KubeObject>({
      api: opts.api,
      resource: { group: API_GROUP, version, plural: PLURAL[kind.kind], kind: kind.kind },
      namespace: opts.namespace,
      rng: opts.rng,
      optional: true,
      log: (level, msg, fields) => log[level]({ ...fields, kind: kind.kind }, msg),
      onChange: (type, obj, old) => {
        const target = toObject(kind, version, obj);
        if (type === 'deleted') {
          known.delete(target.uid);
          return;
        }
        // A status-only update is not a reconcile of what the user wrote; a new generation is.
        if (type === 'modified' && old?.metadata.generation === obj.metadata.generation) return;
        record(kind, target);
      },
    });
    reflectors.set(kind.kind, { version, reflector });
    log.info({ kind: kind.kind, version }, 'deprecated kind is served; warning on its objects');
    return reflector;
  }

  async function discover(): Promise<void> {
    const started: Promise<void>[] = [];
    for (const kind of DEPRECATED_KINDS) {
      if (reflectors.has(kind.kind)) continue;
      const version = await servedVersion(opts.api, PLURAL[kind.kind]);
      if (version) started.push(startWatching(kind, version).start());
    }
    await Promise.all(started);
  }

  function scheduleDiscovery(): void {
    if (stopper.signal.aborted || reflectors.size === DEPRECATED_KINDS.length) return;
    discoveryTimer = setTimeout(() => {
      discover()
        .catch((err: unknown) => log.warn({ err: String(err) }, 'API discovery failed; trying again'))
        .finally(scheduleDiscovery);
    }, opts.discoveryRetryMs ?? 60_000);
    discoveryTimer.unref();
  }

  const ready = (async () => {
    await discover().catch((err: unknown) => log.warn({ err: String(err) }, 'API discovery failed; trying again'));
    scheduleDiscovery();
    resyncTimer = setInterval(() => {
      for (const kind of DEPRECATED_KINDS) {
        const r = reflectors.get(kind.kind);
        if (!r) continue;
        for (const key of r.reflector.store.keys()) {
          const o = r.reflector.store.getByKey(key);
          if (o) record(kind, toObject(kind, r.version, o));
        }
      }
    }, opts.resyncMs);
    resyncTimer.unref();
  })();

  return {
    ready,
    watching: () => Object.fromEntries([...reflectors].map(([k, r]) => [k, r.version])),
    async stop() {
      clearInterval(resyncTimer);
      clearTimeout(discoveryTimer);
      await Promise.all([...reflectors.values()].map((r) => r.reflector.stop()));
      // Let observations already on their way land (bounded), then cut the rest.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([queue.onIdle(), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
      clearTimeout(timer);
      stopper.abort();
      queue.clear();
    },
  };
}

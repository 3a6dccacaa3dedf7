// The VirtualMCPServer controller: informers feed caches and a reference index; a change wakes exactly the
// VirtualMCPServers that read the changed object (its group, the group's members and everything they reference, the
// objects it owns); each actor reads caches and writes through one bounded queue. Nothing is reconciled before every
// cache has synced. It runs beside the endpoint reconciler in `mcpre operator` with its own informers.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { applyVmcpObjects } from '../../actors/kube/vmcp-apply.ts';
import { observeVirtualMcpServer } from '../../actors/kube/vmcp-observe.ts';
import { writeVmcpStatus } from '../../actors/kube/vmcp-write-status.ts';
import type { Endpoint, KubeObject } from '../../api/endpoint/model.ts';
import { objectKey } from '../../api/endpoint/references.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import { isoSeconds } from '../../api/kube-time.ts';
import type { VirtualMCPServer } from '../../api/vmcp/model.ts';
import type { VmcpSettings } from '../../api/vmcp/objects.ts';
import { type VmcpRefKind, vmcpRefKey } from '../../api/vmcp/snapshot.ts';
import { virtualMcpServerMachine } from '../../machines/virtual-mcp-server.ts';
import { systemClock } from '../../runtime/clock.ts';
import { createKubeHttp, type KubeHttp } from '../../runtime/kube/kube-http.ts';
import { ReferenceIndex } from '../../runtime/kube/reference-index.ts';
import type { ChangeType } from '../../runtime/kube/reflector.ts';
import { keyOf } from '../../runtime/kube/store.ts';
import { queuedWrites } from '../../runtime/kube/write-queue.ts';
import { type Rng, systemRng } from '../../runtime/random.ts';
import { createVmcpInformers, type VmcpInformerName, type VmcpInformers } from './informers.ts';
import { VmcpRegistry } from './registry.ts';

export interface VmcpControllerOptions {
  kubeconfig: KubeConfig;
  /** Watch one namespace; all namespaces when unset. */
  namespace?: string;
  logger: Logger;
  /** The default gateway image (an mcpre image); spec.image overrides it. */
  settings: VmcpSettings;
  writeConcurrency?: number;
  /** Every this often, every VirtualMCPServer is looked at again even without a change. */
  resyncMs?: number;
  retry?: RetryPolicy;
  rng?: Rng;
  inspect?: (event: InspectionEvent) => void;
  watchInactivityMs?: number;
}

export interface VmcpControllerStats {
  /** Observations (reconcile passes) per VirtualMCPServer key. */
  passes: Map<string, number>;
  /** Objects applied, by kind. */
  applied: Record<string, number>;
  statusWrites: number;
}

export interface VmcpController {
  ready: Promise<void>;
  informers: VmcpInformers;
  registry: VmcpRegistry;
  index: ReferenceIndex;
  stats: VmcpControllerStats;
  stop(graceMs?: number): Promise<void>;
}

const REF_KIND: Partial<Record<VmcpInformerName, VmcpRefKind>> = {
  groups: 'MCPGroup',
  authConfigs: 'MCPExternalAuthConfig',
  toolConfigs: 'MCPToolConfig',
  configMaps: 'ConfigMap',
  secrets: 'Secret',
};

export function startVmcpController(opts: VmcpControllerOptions): VmcpController {
  const log = opts.logger;
  const rng = opts.rng ?? systemRng();
  const http: KubeHttp = createKubeHttp(opts.kubeconfig, { connections: Math.max(4, opts.writeConcurrency ?? 16) });
  const stats: VmcpControllerStats = { passes: new Map(), applied: {}, statusWrites: 0 };
  const writes = queuedWrites(http, opts.writeConcurrency ?? 16);
  const index = new ReferenceIndex();
  let synced = false;

  const wakeAll = (keys: string[]) => {
    for (const k of keys) registry.wake(k);
  };

  const onChange = (informer: VmcpInformerName, type: ChangeType, obj: KubeObject, old: KubeObject | undefined) => {
    const ns = obj.metadata.namespace ?? '';
    if (informer === 'vmcps') {
      const key = keyOf(obj);
      if (type === 'deleted') {
        index.remove(key);
        registry.stop(key);
        return;
      }
      // Until its first observation reports everything it reads, a VirtualMCPServer is known to read its group.
      if (index.refsOf(key).length === 0) {
        index.set(key, [vmcpRefKey('MCPGroup', ns, (obj as VirtualMCPServer).spec.groupRef)]);
      }
      if (synced) registry.wake(key);
      return;
    }
    if (!synced) return;
    if (informer === 'endpoints') {
      // A member joined, left or changed: wake whoever serves its group (old and new, if it moved).
      const groups = new Set([(obj as Endpoint).spec.groupRef, (old as Endpoint | undefined)?.spec.groupRef]);
      for (const g of groups) if (g) wakeAll(index.lookup(vmcpRefKey('MCPGroup', ns, g)));
      return;
    }
    const kind = REF_KIND[informer];
    if (kind) wakeAll(index.lookup(vmcpRefKey(kind, ns, obj.metadata.name)));
    const owner = obj.metadata.ownerReferences?.find((o) => o.kind === 'VirtualMCPServer');
    if (owner) registry.wake(objectKey(ns, owner.name));
  };

  const informers = createVmcpInformers({
    api: http,
    namespace: opts.namespace,
    rng,
    onChange,
    inactivityMs: opts.watchInactivityMs,
    log: (level, msg, fields) => log[level]({ ...fields, controller: 'virtualmcpserver' }, msg),
  });

  const counting = {
    request<T>(req: Parameters<KubeHttp['request']>[0]): Promise<T> {
      if (req.method === 'PATCH' && req.path.endsWith('/status')) stats.statusWrites += 1;
      if (req.method === 'PATCH' && !req.path.endsWith('/status')) {
        const kind = (req.body as KubeObject | undefined)?.kind ?? 'unknown';
        stats.applied[kind] = (stats.applied[kind] ?? 0) + 1;
      }
      return writes.api.request<T>(req);
    },
  };
  const registry = new VmcpRegistry({
    machine: virtualMcpServerMachine.provide({
      actors: {
        observe: observeVirtualMcpServer({
          caches: informers,
          api: writes.api,
          now: () => isoSeconds(systemClock.now()),
          onReferences: (key, refs) => {
            index.set(key, refs);
            stats.passes.set(key, (stats.passes.get(key) ?? 0) + 1);
          },
        }),
        applyObjects: applyVmcpObjects({ api: counting }),
        writeStatus: writeVmcpStatus({ api: counting, caches: informers }),
      },
    }),
    settings: opts.settings,
    retry: opts.retry,
    inspect: opts.inspect,
    onActorError: (key, err) =>
      log.error({ virtualMcpServer: key, err }, 'VirtualMCPServer actor failed; it is recreated on the next change'),
  });

  const resyncAll = () => {
    for (const key of informers.vmcps.store.keys()) registry.wake(key);
  };

  let resyncTimer: NodeJS.Timeout | undefined;
  const ready = (async () => {
    await informers.start();
    synced = true;
    log.info(
      { controller: 'virtualmcpserver', namespace: opts.namespace ?? '(all)', count: informers.vmcps.store.size },
      'caches synced; reconciling VirtualMCPServers',
    );
    resyncAll();
    resyncTimer = setInterval(resyncAll, opts.resyncMs ?? 10 * 60_000);
    resyncTimer.unref();
  })();

  return {
    ready,
    informers,
    registry,
    index,
    stats,
    async stop(graceMs = 10_000) {
      clearInterval(resyncTimer);
      await informers.stop();
      registry.stopAll();
      const drained = writes.queue.onIdle();
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([drained, timeout]);
      writes.queue.clear();
      await http.close();
    },
  };
}

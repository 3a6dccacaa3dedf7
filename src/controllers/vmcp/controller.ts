// The VirtualMCPServer controller on the manager: a change wakes exactly the VirtualMCPServers that read the changed
// object (its group, the group's members and everything they reference, the objects it owns); each actor reads the
// shared caches and writes through the manager's write queue. Nothing is reconciled before its caches have synced.
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { KubeApi } from '../../actors/kube/kube-api.ts';
import { applyVmcpObjects } from '../../actors/kube/vmcp-apply.ts';
import { observeVirtualMcpServer } from '../../actors/kube/vmcp-observe.ts';
import { writeVmcpStatus } from '../../actors/kube/vmcp-write-status.ts';
import type { Endpoint, KubeObject } from '../../api/endpoint/model.ts';
import { objectKey } from '../../api/endpoint/references.ts';
import type { RetryPolicy } from '../../api/endpoint/retry.ts';
import { isoSeconds } from '../../api/kube-time.ts';
import type { VirtualMCPServer } from '../../api/vmcp/model.ts';
import type { VmcpSettings } from '../../api/vmcp/objects.ts';
import { memberChangeMatters, type VmcpRefKind, vmcpChangeMatters, vmcpRefKey } from '../../api/vmcp/snapshot.ts';
import { virtualMcpServerMachine } from '../../machines/virtual-mcp-server.ts';
import { KeyedQueue } from '../../runtime/kube/keyed-queue.ts';
import type { KubeTarget } from '../../runtime/kube/kubeconfig.ts';
import { Manager } from '../../runtime/kube/manager.ts';
import { ReferenceIndex } from '../../runtime/kube/reference-index.ts';
import { keyOf } from '../../runtime/kube/store.ts';
import type { Rng } from '../../runtime/random.ts';
import { GroupMembers } from '../group-members.ts';
import { VMCP_WATCHES, type VmcpInformerName, type VmcpInformers, vmcpCaches } from './informers.ts';
import { VmcpRegistry } from './registry.ts';

export interface VmcpReconcilerOptions {
  logger: Logger;
  /** The default gateway image (an mcpre image); spec.image overrides it. */
  settings: VmcpSettings;
  /** Every this often, every VirtualMCPServer is looked at again even without a change. */
  resyncMs?: number;
  retry?: RetryPolicy;
  inspect?: (event: InspectionEvent) => void;
}

export interface VmcpControllerStats {
  /** Observations (reconcile passes) per VirtualMCPServer key. */
  passes: Map<string, number>;
  /** Objects applied, by kind. */
  applied: Record<string, number>;
  statusWrites: number;
}

export interface VmcpReconciler {
  ready: Promise<void>;
  informers: VmcpInformers;
  registry: VmcpRegistry;
  index: ReferenceIndex;
  stats: VmcpControllerStats;
}

/** How long fanned-out wake-ups of one VirtualMCPServer are gathered before it looks again. */
export const VMCP_DEBOUNCE_MS = 1000;

const REF_KIND: Partial<Record<VmcpInformerName, VmcpRefKind>> = {
  groups: 'MCPGroup',
  authConfigs: 'MCPExternalAuthConfig',
  toolConfigs: 'MCPToolConfig',
  configMaps: 'ConfigMap',
  secrets: 'Secret',
};

export function vmcpController(manager: Manager, opts: VmcpReconcilerOptions): VmcpReconciler {
  const log = opts.logger;
  const stats: VmcpControllerStats = { passes: new Map(), applied: {}, statusWrites: 0 };
  const index = new ReferenceIndex();
  const members = new GroupMembers();
  // Wake-ups that fan out (a member, a referenced object or an owned object changed) wait VMCP_DEBOUNCE_MS on the
  // manager's clock and fold together: a burst of member changes or the echoes of one apply cost one plan, not one
  // each. The VirtualMCPServer's own changes wake it at once.
  const debounced = new KeyedQueue({
    concurrency: 1,
    rng: manager.rng,
    clock: manager.clock,
    handler: async (key) => {
      if (controller.informers.vmcps.store.getByKey(key)) registry.wake(key);
    },
  });
  const wakeSoon = (key: string) => debounced.add(key, VMCP_DEBOUNCE_MS);
  const wakeAll = (keys: string[]) => {
    for (const k of keys) wakeSoon(k);
  };

  const controller = manager.controller<VmcpInformerName>({
    name: 'virtualmcpserver',
    watches: VMCP_WATCHES,
    resyncMs: opts.resyncMs,
    workers: [
      { quiet: () => debounced.pending === 0, stop: () => debounced.stop() },
      { quiet: () => registry.quiet(), stop: () => registry.stopAll() },
    ],
    resync: () => {
      for (const k of controller.informers.vmcps.store.keys()) registry.wake(k);
    },
    onChange({ kind, type, obj, old, synced, offered }) {
      const ns = obj.metadata.namespace ?? '';
      if (kind === 'vmcps') {
        const key = keyOf(obj);
        if (type === 'deleted') {
          index.remove(key);
          registry.stop(key);
          return;
        }
        // Until its first observation reports everything it reads, a VirtualMCPServer is known to read its group.
        if (index.refsOf(key).length === 0)
          index.set(key, [vmcpRefKey('MCPGroup', ns, (obj as VirtualMCPServer).spec.groupRef)]);
        // Its own status write (or fresh read), offered from the answer: the actor that made it holds it already.
        if (synced && !offered && vmcpChangeMatters(old as VirtualMCPServer | undefined, obj as VirtualMCPServer))
          registry.wake(key);
        return;
      }
      if (kind === 'endpoints') {
        members.track(type, obj);
        if (!synced) return;
        if (type === 'modified' && !memberChangeMatters(old as Endpoint | undefined, obj as Endpoint)) return;
        // A member joined, left or changed what a plan reads: wake whoever serves its group (old and new, if it moved).
        const groups = new Set([(obj as Endpoint).spec.groupRef, (old as Endpoint | undefined)?.spec.groupRef]);
        for (const g of groups) if (g) wakeAll(index.lookup(vmcpRefKey('MCPGroup', ns, g)));
        return;
      }
      if (!synced) return;
      // A plan reads only whether the group exists (its members come from the endpoints' own changes).
      if (kind === 'groups' && type === 'modified') return;
      const ref = REF_KIND[kind];
      if (ref) wakeAll(index.lookup(vmcpRefKey(ref, ns, obj.metadata.name)));
      const owner = obj.metadata.ownerReferences?.find((o) => o.kind === 'VirtualMCPServer');
      if (owner) wakeSoon(objectKey(ns, owner.name));
    },
  });
  const informers = controller.informers;
  const caches = vmcpCaches(informers, members);

  const counting: KubeApi = {
    request(req) {
      if (req.method === 'PATCH' && req.path.endsWith('/status')) stats.statusWrites += 1;
      if (req.method === 'PATCH' && !req.path.endsWith('/status')) {
        const kind = (req.body as KubeObject | undefined)?.kind ?? 'unknown';
        stats.applied[kind] = (stats.applied[kind] ?? 0) + 1;
      }
      return manager.writes.api.request(req);
    },
  };
  const registry = new VmcpRegistry({
    machine: virtualMcpServerMachine.provide({
      actors: {
        observe: observeVirtualMcpServer({
          caches,
          api: manager.writes.api,
          now: () => isoSeconds(manager.clock.now()),
          onReferences: (key, refs) => {
            index.set(key, refs);
            stats.passes.set(key, (stats.passes.get(key) ?? 0) + 1);
          },
        }),
        applyObjects: applyVmcpObjects({ api: counting }),
        writeStatus: writeVmcpStatus({ api: counting, caches }),
      },
    }),
    settings: opts.settings,
    retry: opts.retry,
    inspect: opts.inspect,
    clock: manager.clock,
    onActorError: (key, err) =>
      log.error({ virtualMcpServer: key, err }, 'VirtualMCPServer actor failed; it is recreated on the next change'),
  });

  const ready = controller.ready.then(() =>
    log.info(
      { controller: 'virtualmcpserver', namespace: manager.namespace ?? '(all)', count: informers.vmcps.store.size },
      'caches synced; reconciling VirtualMCPServers',
    ),
  );
  return { ready, informers, registry, index, stats };
}

export interface VmcpControllerOptions extends VmcpReconcilerOptions {
  kubeconfig: KubeTarget;
  namespace?: string;
  writeConcurrency?: number;
  rng?: Rng;
  watchInactivityMs?: number;
}

/** The VirtualMCPServer controller alone, on a manager of its own (tests that exercise only it). */
export interface VmcpController extends VmcpReconciler {
  manager: Manager;
  stop(graceMs?: number): Promise<void>;
}

export function startVmcpController(opts: VmcpControllerOptions): VmcpController {
  const manager = new Manager({
    kubeconfig: opts.kubeconfig,
    namespace: opts.namespace,
    rng: opts.rng,
    writes: { concurrency: opts.writeConcurrency ?? 16 },
    watchInactivityMs: opts.watchInactivityMs,
    log: (level, msg, fields) => opts.logger[level]({ ...fields, controller: 'virtualmcpserver' }, msg),
  });
  const c = vmcpController(manager, opts);
  void manager.start();
  return { ...c, manager, stop: (graceMs) => manager.stop(graceMs) };
}

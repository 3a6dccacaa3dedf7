// The MCPGroup status controller: each group's status lists its member endpoints. A keyed queue with a debounce
// (a burst of membership changes to one group becomes one write), an index of which group each endpoint is in,
// and the same endpoint and group informers the endpoint controller reads.
import type { Logger } from 'pino';
import { writeGroupMembership } from '../../actors/kube/group-status.ts';
import { membershipCurrent, membershipOf } from '../../api/endpoint/group-membership.ts';
import type { Endpoint, Group } from '../../api/endpoint/model.ts';
import { objectKey, splitObjectKey } from '../../api/endpoint/references.ts';
import { KeyedQueue } from '../../runtime/kube/keyed-queue.ts';
import type { Manager } from '../../runtime/kube/manager.ts';
import type { Reflector } from '../../runtime/kube/reflector.ts';
import { GroupMembers } from '../group-members.ts';
import { watchesOf } from '../kinds.ts';

/** Membership changes arriving within this window are written to the group's status once. */
export const GROUP_DEBOUNCE_MS = 200;

export interface GroupStatusControllerOptions {
  logger: Logger;
  resyncMs?: number;
}

export interface GroupStatusController {
  ready: Promise<void>;
  queue: KeyedQueue;
  stats: { writes: number };
}

export function startGroupStatusController(
  manager: Manager,
  opts: GroupStatusControllerOptions,
): GroupStatusController {
  const log = opts.logger;
  const stats = { writes: 0 };
  const members = new GroupMembers();
  const queue = new KeyedQueue({
    concurrency: 4,
    rng: manager.rng,
    clock: manager.clock,
    handler: async (key, signal) => {
      const groups = controller.informers.groups as unknown as Reflector<Group>;
      const group = groups.store.getByKey(key);
      if (!group) return;
      const { namespace, name } = splitObjectKey(key);
      const endpoints = controller.informers.endpoints;
      const m = membershipOf(
        name,
        members
          .keys(namespace, name)
          .map((k) => endpoints.store.getByKey(k) as Endpoint | undefined)
          .filter((e): e is Endpoint => e !== undefined),
      );
      if (membershipCurrent(group, m)) return;
      const written = await writeGroupMembership(manager.writes.api, group, m, signal);
      stats.writes += 1;
      groups.offer(written as Group);
      log.debug({ group: key, count: m.remoteEndpointCount }, 'group membership written');
    },
    onError: (key, err, retryInMs) =>
      log.warn({ group: key, err: String(err), retryInMs: Math.round(retryInMs) }, 'group status write failed'),
  });
  const touch = (ns: string, group: string) => queue.add(objectKey(ns, group), GROUP_DEBOUNCE_MS);

  const controller = manager.controller({
    name: 'mcpgroup',
    watches: watchesOf('endpoints', 'groups'),
    resyncMs: opts.resyncMs,
    workers: [{ quiet: () => queue.pending === 0, stop: () => queue.stop() }],
    resync: () => {
      for (const key of controller.informers.groups.store.keys()) queue.add(key);
    },
    onChange({ kind, type, obj, old, synced, offered }) {
      const ns = obj.metadata.namespace ?? '';
      if (kind === 'groups') {
        // Its own membership write, offered from the answer, needs no second look.
        if (synced && !offered) touch(ns, obj.metadata.name);
        return;
      }
      const e = obj as Endpoint;
      const before = old as Endpoint | undefined;
      members.track(type, obj);
      if (!synced) return;
      if (type === 'deleted') {
        touch(ns, (before ?? e).spec.groupRef);
        return;
      }
      const moved =
        !before ||
        before.spec.groupRef !== e.spec.groupRef ||
        Boolean(before.metadata.deletionTimestamp) !== Boolean(e.metadata.deletionTimestamp);
      if (!moved) return;
      touch(ns, e.spec.groupRef);
      if (before && before.spec.groupRef !== e.spec.groupRef) touch(ns, before.spec.groupRef);
    },
  });
  return { ready: controller.ready, queue, stats };
}

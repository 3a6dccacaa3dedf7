// "Nothing left to do" for reconciler actors, read from their snapshots: no effect in flight (an effect is an invoked
// child) and no retry timer (backoff is the one state that waits on a timer to act again). Tests that assert that
// something did not happen wait for this, plus whatever else the code under test queues, instead of sleeping.
import type { AnyActorRef } from 'xstate';

interface ReconcilerSnapshot {
  status: string;
  children: Record<string, unknown>;
  matches(state: string): boolean;
}

export function actorAtRest(actor: AnyActorRef): boolean {
  const s = actor.getSnapshot() as ReconcilerSnapshot;
  return s.status !== 'active' || (Object.keys(s.children).length === 0 && !s.matches('backoff'));
}

/** Every actor of a keyed registry (endpoint, VirtualMCPServer) at rest. */
export function registryAtRest(registry: { keys(): string[]; get(key: string): AnyActorRef | undefined }): boolean {
  return registry.keys().every((key) => {
    const actor = registry.get(key);
    return actor === undefined || actorAtRest(actor);
  });
}

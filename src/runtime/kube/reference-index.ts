// Which endpoints reference which objects: a change to a ConfigMap, Secret, MCPGroup, auth config or same-name
// ToolHive object wakes exactly the endpoints that reference it (an index lookup, not a scan of every endpoint).
import type { RefKey } from '../../api/endpoint/references.ts';

export class ReferenceIndex {
  private readonly byRef = new Map<RefKey, Set<string>>();
  private readonly byEndpoint = new Map<string, RefKey[]>();

  /** Replaces the references of one endpoint. */
  set(endpointKey: string, refs: readonly RefKey[]): void {
    const previous = this.byEndpoint.get(endpointKey);
    if (previous && previous.length === refs.length && previous.every((r, i) => r === refs[i])) return;
    this.remove(endpointKey);
    this.byEndpoint.set(endpointKey, [...refs]);
    for (const ref of refs) {
      let set = this.byRef.get(ref);
      if (!set) {
        set = new Set();
        this.byRef.set(ref, set);
      }
      set.add(endpointKey);
    }
  }

  remove(endpointKey: string): void {
    for (const ref of this.byEndpoint.get(endpointKey) ?? []) {
      const set = this.byRef.get(ref);
      set?.delete(endpointKey);
      if (set && set.size === 0) this.byRef.delete(ref);
    }
    this.byEndpoint.delete(endpointKey);
  }

  /** The endpoints that reference `ref`. */
  lookup(ref: RefKey): string[] {
    return [...(this.byRef.get(ref) ?? [])];
  }

  refsOf(endpointKey: string): readonly RefKey[] {
    return this.byEndpoint.get(endpointKey) ?? [];
  }

  get size(): number {
    return this.byEndpoint.size;
  }
}

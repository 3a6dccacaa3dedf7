// Which MCPGroup each endpoint names, kept current from the endpoint informer's changes: a group's members without a
// scan of every endpoint (the MCPGroup status controller and the VirtualMCPServer controller each keep one).
import type { Endpoint, KubeObject } from '../api/endpoint/model.ts';
import { refKey } from '../api/endpoint/references.ts';
import { ReferenceIndex } from '../runtime/kube/reference-index.ts';
import type { ChangeType } from '../runtime/kube/reflector.ts';
import { keyOf } from '../runtime/kube/store.ts';

/** Which group each endpoint is in, kept current from the endpoint informer's changes. */
export class GroupMembers {
  private readonly index = new ReferenceIndex();

  track(type: ChangeType, obj: KubeObject): void {
    const e = obj as Endpoint;
    if (type === 'deleted') this.index.remove(keyOf(e));
    else this.index.set(keyOf(e), [refKey('MCPGroup', e.metadata.namespace ?? '', e.spec.groupRef)]);
  }

  keys(namespace: string, group: string): string[] {
    return this.index.lookup(refKey('MCPGroup', namespace, group));
  }
}

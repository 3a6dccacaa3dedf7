// An informer's cache: the latest version of every object of one resource, by `namespace/name`.
import type { KubeObject } from '../../api/endpoint/model.ts';
import { objectKey } from '../../api/endpoint/references.ts';

export class Store<T extends KubeObject> {
  private readonly objects = new Map<string, T>();

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(objectKey(namespace, name));
  }

  getByKey(key: string): T | undefined {
    return this.objects.get(key);
  }

  has(key: string): boolean {
    return this.objects.has(key);
  }

  keys(): IterableIterator<string> {
    return this.objects.keys();
  }

  values(): IterableIterator<T> {
    return this.objects.values();
  }

  get size(): number {
    return this.objects.size;
  }

  set(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.objects.get(key);
    this.objects.set(key, obj);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.objects.get(key);
    this.objects.delete(key);
    return old;
  }

  /**
   * Takes an object that a write returned, unless the cache already holds a newer one. Lets a reconcile see its own
   * write before the watch event arrives. resourceVersions are compared as integers, which etcd-backed servers
   * guarantee (KEP-5504); anything non-numeric is left to the watch.
   */
  offer(obj: T): boolean {
    const key = keyOf(obj);
    const cur = this.objects.get(key);
    if (!cur) return false;
    if (cur.metadata.uid && obj.metadata.uid && cur.metadata.uid !== obj.metadata.uid) return false;
    if (!newer(obj.metadata.resourceVersion, cur.metadata.resourceVersion)) return false;
    this.objects.set(key, obj);
    return true;
  }
}

export function keyOf(obj: KubeObject): string {
  return objectKey(obj.metadata.namespace ?? '', obj.metadata.name);
}

function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

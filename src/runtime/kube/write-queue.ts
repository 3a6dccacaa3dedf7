// Every write to the API server goes through one bounded queue (p-queue), so a burst of reconciles (startup, a
// resync, a popular ConfigMap changing) cannot open thousands of requests at once. Reads (GET) pass straight through:
// they come from caches almost always, and a live read after a 409 should not wait behind writes.
import PQueue from 'p-queue';
import type { KubeApi, KubeRequest } from '../../actors/kube/kube-api.ts';

export interface WriteQueue {
  api: KubeApi;
  queue: PQueue;
}

export function queuedWrites(api: KubeApi, concurrency: number): WriteQueue {
  const queue = new PQueue({ concurrency });
  return {
    queue,
    api: {
      request<T>(req: KubeRequest): Promise<T> {
        if (req.method === 'GET') return api.request<T>(req);
        return queue.add(() => api.request<T>(req), { signal: req.signal }) as Promise<T>;
      },
    },
  };
}

// Every write to the API server goes through one bounded queue (p-queue), so a burst of reconciles (startup, a
// resync, a popular ConfigMap changing) cannot open thousands of requests at once: at most `concurrency` writes in
// flight and, when `perSecond` is set, at most that many started per one-second window. Reads (GET) pass straight
// through: they come from caches almost always, and a live read after a 409 should not wait behind writes.
import PQueue from 'p-queue';
import type { KubeApi, KubeRequest } from '../../actors/kube/kube-api.ts';
import { traced, tracing } from '../tracing/tracing.ts';

export interface WriteQueue {
  api: KubeApi;
  queue: PQueue;
}

export interface WriteLimits {
  concurrency: number;
  /**
   * Writes started per one-second window. p-queue keeps this window on the system clock, so a simulation on
   * virtual time leaves it unset.
   */
  perSecond?: number;
}

export function queuedWrites(api: KubeApi, limits: number | WriteLimits): WriteQueue {
  const { concurrency, perSecond } = typeof limits === 'number' ? { concurrency: limits } : limits;
  const queue = new PQueue({
    concurrency,
    ...(perSecond ? { intervalCap: perSecond, interval: 1000 } : {}),
  });
  return {
    queue,
    api: {
      request<T>(req: KubeRequest): Promise<T> {
        if (req.method === 'GET') return api.request<T>(req);
        const write = () =>
          queue.add(() => api.request<T>(req), { signal: req.signal, priority: req.priority }) as Promise<T>;
        // With tracing on, each write is a child span of the reconcile that made it (its wait in the queue included).
        if (!tracing.on) return write();
        return traced(`kube ${req.method}`, { 'http.request.method': req.method, 'url.path': req.path }, write);
      },
    },
  };
}

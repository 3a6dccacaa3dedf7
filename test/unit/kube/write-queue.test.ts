// The write queue's order: a write with a lower priority (best-effort Events) waits behind every other queued write.
import { describe, expect, it } from 'vitest';
import type { KubeRequest } from '../../../src/actors/kube/kube-api.ts';
import { queuedWrites } from '../../../src/runtime/kube/write-queue.ts';

describe('queuedWrites', () => {
  it('sends lower-priority writes after the others queued with them, otherwise in order', async () => {
    const sent: string[] = [];
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const writes = queuedWrites(
      {
        request: async <T>(req: KubeRequest) => {
          sent.push(req.path);
          if (req.path === '/first') await gate;
          return undefined as T;
        },
      },
      1,
    );
    const post = (path: string, priority?: number) => writes.api.request({ method: 'POST', path, priority });
    const all = [post('/first'), post('/event-1', -1), post('/status-1'), post('/event-2', -1), post('/status-2')];
    open();
    await Promise.all(all);
    expect(sent).toEqual(['/first', '/status-1', '/status-2', '/event-1', '/event-2']);
  });
});

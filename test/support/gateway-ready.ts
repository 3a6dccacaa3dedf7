// Waits until an in-process gateway is ready and every backend session it holds is ready.
import type { RunningGateway } from '../../src/gateway/gateway.ts';
import { until } from './eventually.ts';

export async function untilBackendsReady(gateway: Pick<RunningGateway, 'readiness' | 'backends'>): Promise<void> {
  await until(
    'backends ready',
    () => gateway.readiness().ready && gateway.backends().every((b) => b.state === 'ready'),
  );
}

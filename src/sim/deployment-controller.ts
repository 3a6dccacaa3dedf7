// The simulator's stand-in for kube-controller-manager's Deployment controller.
import type { FakeApiServer, KubeObject } from './fake-apiserver.ts';
import { R } from './scenario.ts';
import type { SimScheduler } from './scheduler.ts';

/** Stands in for kube-controller-manager's Deployment controller: a new generation becomes available after a while. */
export function startDeploymentController(api: FakeApiServer, scheduler: SimScheduler, rng: { next(): number }): void {
  const observe = (obj: Readonly<KubeObject>) => {
    const generation = obj.metadata.generation ?? 1;
    const status = (obj.status ?? {}) as { observedGeneration?: number };
    if ((status.observedGeneration ?? 0) >= generation) return;
    scheduler.schedule('deployment-controller', 2000 + Math.floor(rng.next() * 18_000), () => {
      const cur = api.stored(R.deployment, obj.metadata.namespace ?? '', obj.metadata.name);
      if (!cur || (cur.metadata.generation ?? 1) !== generation) return;
      const replicas = (cur.spec as { replicas?: number } | undefined)?.replicas ?? 1;
      api.updateNow(
        R.deployment,
        {
          ...cur,
          status: {
            observedGeneration: generation,
            replicas,
            readyReplicas: replicas,
            availableReplicas: replicas,
            updatedReplicas: replicas,
            conditions: [
              { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
              { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
            ],
          },
        },
        'status',
      );
    });
  };
  // Its watch breaks under the same injected faults as the operator's: it lists what it missed and watches again.
  const watch = (fromRv: string) =>
    api.watch(R.deployment, undefined, fromRv, {
      onEvent: (type, obj) => {
        if (type !== 'DELETED') observe(obj);
      },
      onClose: () =>
        scheduler.schedule('deployment-controller.rewatch', 1000, () => {
          const rv = api.resourceVersion;
          for (const d of api.view(R.deployment)) observe(d);
          watch(rv);
        }),
    });
  watch('0');
}

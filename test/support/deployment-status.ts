// The test control plane runs no controller-manager: tests play the Deployment controller with this.
import { Resources } from '../../src/actors/kube/kube-api.ts';
import type { ResourceId } from '../../src/api/resources.ts';
import type { KubeObject, KubeObjects } from './kube-objects.ts';

export const DEPLOYMENT: ResourceId = Resources.deployment;

/** What the Deployment controller would write once the pods of the current generation are available. */
export async function markDeploymentAvailable(kube: KubeObjects, ns: string, name: string): Promise<KubeObject> {
  const d = await kube.get(DEPLOYMENT, ns, name);
  const replicas = d.spec?.replicas ?? 1;
  return kube.mergePatchStatus(DEPLOYMENT, ns, name, {
    status: {
      observedGeneration: d.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: 'ok' },
      ],
    },
  });
}
